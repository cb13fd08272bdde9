"""The one error type of the OpenADR codec, carrying the eiResponse code a peer should get."""

from __future__ import annotations

from flexcoop.openadr.messages import ResponseCode


class CodecError(ValueError):
    """XML that cannot be read (or a model that cannot be written) as an OpenADR 2.0b message.

    ``code`` is the eiResponse code to answer with: 400 for input that is not an OpenADR
    document at all (too big, not XML, DOCTYPE, wrong root or namespace), 453 for an unknown
    payload element, 454 for a known payload with missing or invalid data or schema errors.
    ``message_type`` and ``request_id`` are filled in when they could be read, so that the
    receiver can still address its error response.
    """

    def __init__(
        self,
        message: str,
        code: int = ResponseCode.BAD_REQUEST,
        *,
        message_type: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = int(code)
        self.message_type = message_type
        self.request_id = request_id

    def __str__(self) -> str:
        return f"[{self.code}] {self.args[0]}"
