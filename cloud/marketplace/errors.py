"""Why a marketplace request was refused. ``status`` is the HTTP status the REST API answers;
``loc`` names the part of the request at fault, for the error detail."""

from __future__ import annotations

from typing import ClassVar


class MarketplaceError(Exception):
    status: ClassVar[int] = 409
    loc: ClassVar[str] = "body"


class ContractNotFoundError(MarketplaceError):
    status = 404
    loc = "path.contract_id"


class IllegalTransitionError(MarketplaceError):
    loc = "body.to"


class TermsLockedError(MarketplaceError):
    loc = "path.contract_id"


class AgreementError(MarketplaceError):
    loc = "body.terms_version"


class VetoedError(MarketplaceError):
    pass


class StaleVersionError(MarketplaceError):
    """The caller's ``If-Match`` names a version that is no longer current."""

    status = 412
    loc = "header.If-Match"


class ConcurrentUpdateError(MarketplaceError):
    """Someone else changed the contract between our read and our write."""

    loc = "path.contract_id"
