"""TLS: the VEN presents its client certificate and checks the VTN against the configured CA."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from flexcoop.config import OpenAdrSection
from flexcoop.edge.ven import OptInHandler, PointLimitFlexibility, Ven
from flexcoop.edge.ven.backoff import Backoff
from flexcoop.edge.ven.transport import TlsConfigError, make_ssl_context
from flexcoop.openadr import messages as m

from .conftest import RecordingVtn


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool = False,
    server: bool = False,
) -> x509.Certificate:
    now = datetime.now(UTC)
    issuer_name, issuer_key = issuer if issuer else (_name(subject), key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey | None = None):
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        path.with_suffix(".key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


class Pki:
    def __init__(self, root: Path) -> None:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _issue("flexcoop test CA", ca_key, None, ca=True)
        server_key = ec.generate_private_key(ec.SECP256R1())
        client_key = ec.generate_private_key(ec.SECP256R1())
        other_key = ec.generate_private_key(ec.SECP256R1())
        self.ca = root / "ca.pem"
        self.server = root / "server.pem"
        self.client = root / "client.pem"
        self.other_ca = root / "other-ca.pem"
        _write(self.ca, ca)
        _write(
            self.server, _issue("vtn", server_key, (ca.subject, ca_key), server=True), server_key
        )
        _write(self.client, _issue("osb-0001", client_key, (ca.subject, ca_key)), client_key)
        _write(self.other_ca, _issue("someone else", other_key, None, ca=True))

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.server, self.server.with_suffix(".key"))
        ctx.load_verify_locations(self.ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(tmp_path)


@pytest.fixture
async def tls_vtn(pki: Pki) -> AsyncIterator[RecordingVtn]:
    peer = RecordingVtn(ssl_context=pki.server_context())
    await peer.start()
    yield peer
    await peer.stop()


def tls_ven(url: str, store, telemetry, pki: Pki, ca: Path) -> Ven:
    config = OpenAdrSection(
        vtn_url=url,
        ven_name="osb-tls",
        poll_interval_s=0.2,
        cert_file=pki.client,
        key_file=pki.client.with_suffix(".key"),
        ca_file=ca,
    )
    return Ven(
        config,
        store,
        telemetry,
        OptInHandler(),
        PointLimitFlexibility(telemetry),
        request_timeout_s=5,
        backoff=Backoff(base_s=0.05, cap_s=0.2),
    )


async def test_mutual_tls_registration(tls_vtn: RecordingVtn, pki: Pki, store, telemetry):
    async with tls_ven(tls_vtn.url, store, telemetry, pki, pki.ca) as ven:
        await ven.wait_registered()
        await tls_vtn.wait_for(lambda: bool(tls_vtn.of_type(m.OadrPoll)))
    subjects = {dict(x[0] for x in cert["subject"])["commonName"] for cert in tls_vtn.peer_certs}
    assert subjects == {"osb-0001"}


async def test_untrusted_vtn_is_refused_and_retried(
    tls_vtn: RecordingVtn, pki: Pki, store, telemetry
):
    async with tls_ven(tls_vtn.url, store, telemetry, pki, pki.other_ca) as ven:
        await tls_vtn.wait_for(lambda: ven.status().retry_in_s is not None, within_s=10)
        status = ven.status()
    assert not status.registered and "certificate" in (status.last_error or "").lower()
    assert tls_vtn.received == []


def test_tls_settings_are_checked(pki: Pki, tmp_path: Path):
    base = {"vtn_url": "https://vtn.example/OpenADR2/Simple/2.0b", "ven_name": "osb"}
    ctx = make_ssl_context(OpenAdrSection(**base))
    assert ctx is not None and ctx.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert make_ssl_context(OpenAdrSection(**{**base, "vtn_url": "http://127.0.0.1:1"})) is None
    with pytest.raises(TlsConfigError, match="cert_file"):
        make_ssl_context(OpenAdrSection(**base, cert_file=tmp_path / "missing.pem"))
    with pytest.raises(TlsConfigError, match="ca_file"):
        make_ssl_context(OpenAdrSection(**base, ca_file=tmp_path / "missing-ca.pem"))
    with pytest.raises(TlsConfigError, match="key_file"):
        make_ssl_context(OpenAdrSection(**base, key_file=pki.client.with_suffix(".key")))
