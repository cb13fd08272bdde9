"""The one error type of the OpenADR codec, carrying the eiResponse code a peer should get."""

from __future__ import annotations

from flexcoop.openadr.messages import EiResponse, OadrResponse, ResponseCode


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

    def as_response(self, ven_id: str | None = None) -> OadrResponse:
        """The oadrResponse that tells the sender what was wrong (echoing its requestID)."""
        description = str(self.args[0])
        return OadrResponse(
            response=EiResponse(
                response_code=self.code,
                # Peers show this to operators; a whole schema error list is too much for that.
                response_description=description
                if len(description) <= 500
                else description[:497] + "...",
                request_id=self.request_id or "",
            ),
            ven_id=ven_id,
        )
