"""Why a marketplace request was refused. ``status`` is the HTTP status the REST API answers;
``loc`` names the part of the request at fault, for the error detail."""

from __future__ import annotations

from typing import ClassVar


class MarketplaceError(Exception):
    status: ClassVar[int] = 409
    loc: ClassVar[str] = "body"
    title: ClassVar[str] = "conflict"


class ContractNotFoundError(MarketplaceError):
    status = 404
    loc = "path.contract_id"
    title = "not found"


class IllegalTransitionError(MarketplaceError):
    loc = "body.to"
    title = "illegal transition"


class TermsLockedError(MarketplaceError):
    loc = "path.contract_id"
    title = "terms locked"


class AgreementError(MarketplaceError):
    loc = "body.terms_version"
    title = "cannot agree"


class VetoedError(MarketplaceError):
    title = "vetoed"


class StaleVersionError(MarketplaceError):
    """The caller's ``If-Match`` names a version that is no longer current."""

    status = 412
    loc = "header.If-Match"
    title = "precondition failed"


class ConcurrentUpdateError(MarketplaceError):
    """Someone else changed the contract between our read and our write."""

    loc = "path.contract_id"
    title = "concurrent update"
