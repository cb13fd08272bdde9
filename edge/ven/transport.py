"""HTTP(S) transport to the VTN (simpleHttp pull): one POST per message, typed errors.

Errors are sorted by what the caller should do:
- ``VtnUnavailableError``: the VTN cannot be reached or is overloaded (connection refused,
  timeout, HTTP 408/429/502/503/504) → keep the message, back off, retry without limit.
- ``VtnServerError`` (a ``VtnUnavailableError``): HTTP 500 and friends or an unreadable answer →
  retry, but a caller may give up after many attempts (a VTN bug must not block a queue forever).
- ``VtnInvalidIdError``: eiResponse 452 → our venID/registration is unknown there: re-register.
- ``VtnRejectedError``: any other 4xx / eiResponse ≥ 400 → retrying the same bytes cannot help.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import aiohttp

from flexcoop.config import OpenAdrSection
from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import CodecError, decode, encode

_TRANSIENT_HTTP = {408, 429, 502, 503, 504}


class VtnError(Exception):
    pass


class VtnUnavailableError(VtnError):
    pass


class VtnServerError(VtnUnavailableError):
    pass


class VtnRejectedError(VtnError):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class VtnInvalidIdError(VtnRejectedError):
    pass


class TlsConfigError(ValueError):
    """A configured certificate/key/CA file cannot be used; names the key and the file."""


def make_ssl_context(config: OpenAdrSection) -> ssl.SSLContext | None:
    """Client TLS context for the configured certificate, key and CA; None for plain http."""
    if not config.vtn_url.startswith("https://") and config.cert_file is None:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if config.ca_file is not None:
        _load(config.ca_file, "ca_file", lambda p: ctx.load_verify_locations(cafile=p))
    if config.cert_file is not None:
        key = config.key_file
        _load(
            config.cert_file,
            "cert_file",
            lambda p: ctx.load_cert_chain(p, str(key) if key is not None else None),
        )
    elif config.key_file is not None:
        raise TlsConfigError("[openadr] key_file is set but cert_file is not")
    return ctx


def _load(path: Path, key: str, load: object) -> None:
    try:
        load(str(path))  # type: ignore[operator]
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(f"[openadr] {key} = {str(path)!r}: {exc}") from exc


class VtnClient:
    """POSTs OpenADR payloads to ``{base_url}/{service}`` and decodes the answer."""

    def __init__(
        self,
        base_url: str,
        session: aiohttp.ClientSession,
        *,
        ssl_context: ssl.SSLContext | None = None,
        timeout_s: float = 30.0,
        max_response_bytes: int = 5_000_000,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._max_bytes = max_response_bytes

    async def request(self, service: str, message: m.OadrMessage) -> m.OadrMessage | None:
        return await self.post(service, encode(message))

    async def post(self, service: str, body: bytes) -> m.OadrMessage | None:
        """Send one document; the decoded answer (None for an empty 200), or a VtnError."""
        url = f"{self.base_url}/{service}"
        try:
            async with self._session.post(
                url,
                data=body,
                headers={"Content-Type": "application/xml"},
                ssl=self._ssl,
                timeout=self._timeout,
            ) as resp:
                raw = await resp.content.read(self._max_bytes + 1)
                status = resp.status
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise VtnUnavailableError(f"{service}: {type(exc).__name__}: {exc}") from exc
        if status in _TRANSIENT_HTTP:
            raise VtnUnavailableError(f"{service}: HTTP {status}")
        if status >= 500:
            raise VtnServerError(f"{service}: HTTP {status}")
        if status != 200:
            detail = raw[:200].decode("utf-8", "replace")
            raise VtnRejectedError(f"{service}: HTTP {status} {detail}".strip(), status)
        if len(raw) > self._max_bytes:
            raise VtnServerError(f"{service}: answer larger than {self._max_bytes} bytes")
        if not raw.strip():
            return None
        try:
            answer = decode(raw, max_bytes=self._max_bytes)
        except CodecError as exc:
            raise VtnServerError(f"{service}: unreadable answer: {exc}") from exc
        check_response(service, answer)
        return answer


def check_response(service: str, answer: m.OadrMessage) -> None:
    """Raise for an eiResponse error code carried by the answer."""
    response = getattr(answer, "response", None)
    if not isinstance(response, m.EiResponse) or response.ok:
        return
    text = f"{service}: {answer.message_type} {response.response_code} "
    text += response.response_description or ""
    if response.response_code == m.ResponseCode.INVALID_ID:
        raise VtnInvalidIdError(text.strip(), response.response_code)
    raise VtnRejectedError(text.strip(), response.response_code)
