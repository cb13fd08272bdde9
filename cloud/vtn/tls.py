"""TLS for the VTN: server contexts (TLS ≥ 1.2, optional mutual TLS) and OpenADR fingerprints.

OpenADR 2.0 identifies a VEN by the fingerprint of its client certificate: the last 10 bytes of
the certificate's SHA-256 digest, upper-case hex separated by colons (``AB:CD:…``, 29 chars).
"""

from __future__ import annotations

import hashlib
import ssl
from pathlib import Path


def fingerprint_der(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()[-20:]
    return ":".join(digest[i : i + 2] for i in range(0, 20, 2))


def fingerprint_pem(pem: str | bytes) -> str:
    text = pem.decode("ascii") if isinstance(pem, bytes) else pem
    return fingerprint_der(ssl.PEM_cert_to_DER_cert(text))


def peer_fingerprint(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> str | None:
    """Fingerprint of the verified client certificate on a connection, if it presented one."""
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return fingerprint_der(der) if der else None


def server_context(
    cert_file: str | Path, key_file: str | Path, ca_file: str | Path | None = None
) -> ssl.SSLContext:
    """TLS ≥ 1.2 server context; with ``ca_file`` clients must present a certificate it signed."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert_file), str(key_file))
    if ca_file is not None:
        ctx.load_verify_locations(str(ca_file))
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx
