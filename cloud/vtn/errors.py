"""Errors the VTN turns into an eiResponse (OpenADR code) or an HTTP status."""

from __future__ import annotations

from flexcoop.openadr.messages import ResponseCode


class VtnError(Exception):
    """A message we refuse: answered with ``code`` in an eiResponse; nothing was stored."""

    def __init__(self, code: ResponseCode, description: str) -> None:
        super().__init__(f"{int(code)} {description}")
        self.code = code
        self.description = description


class DuplicateRequestError(Exception):
    """The exact message was already accepted under this requestID (a VEN resending after a
    lost acknowledgement): answered 200 again, applied only once."""


class NotFoundError(LookupError):
    """An event, VEN, opt or report request the caller named does not exist."""


class ConflictError(Exception):
    """A modification based on a stale modification number (lost update prevented)."""


class StaleModificationError(ConflictError):
    """The caller's modification number is not the event's current one."""
