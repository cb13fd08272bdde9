"""Security: registration by client certificate (fingerprint = venID), mutual TLS ≥ 1.2,
messages must come with the registered certificate."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from flexcoop.cloud.app import VTN_PREFIX
from flexcoop.cloud.vtn.tls import fingerprint_pem, server_context
from flexcoop.openadr import messages as m

from .certs import CertFiles, TestPki
from .conftest import TEST_SETTINGS, Ven, start_vtn


@pytest.fixture
def db_url(sqlite_db_url: str) -> str:
    return sqlite_db_url  # transport tests: one back-end is enough


@pytest.fixture
def pki(tmp_path: Path) -> TestPki:
    return TestPki(tmp_path)


def client_ssl(pki: TestPki, cert: CertFiles | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    if cert is not None:
        ctx.load_cert_chain(str(cert.cert), str(cert.key))
    return ctx


@pytest.fixture
async def mtls_url(engine: AsyncEngine, pki: TestPki) -> AsyncIterator[str]:
    server = pki.issue("server", "vtn.test", server=True)
    settings = TEST_SETTINGS.model_copy(update={"open_registration": False})
    runner, *_, url = await start_vtn(
        engine, settings, ssl_context=server_context(server.cert, server.key, pki.ca)
    )
    yield url
    await runner.cleanup()


async def test_certificate_fingerprint_becomes_ven_id(mtls_url: str, pki: TestPki) -> None:
    alice, mallory = pki.issue("alice", "ven-alice"), pki.issue("mallory", "ven-mallory")
    async with aiohttp.ClientSession() as session:
        ven = Ven(mtls_url, session, "alice", ssl=client_ssl(pki, alice))
        reply = await ven.register()
        assert reply.ven_id == fingerprint_pem(alice.cert.read_bytes())
        assert len(reply.ven_id) == 29 and reply.ven_id.count(":") == 9
        assert isinstance(await ven.poll(), m.OadrDistributeEvent)
        assert isinstance(await ven.poll(), m.OadrResponse)

        # Another (valid) certificate cannot speak for alice's venID.
        impostor = Ven(
            mtls_url, session, "mallory", ven_id=reply.ven_id, ssl=client_ssl(pki, mallory)
        )
        poll = await impostor.poll()
        assert poll.response.response_code == m.ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        event = await impostor.send("EiEvent", m.OadrRequestEvent(ven_id=reply.ven_id))
        assert event.response.response_code == m.ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        claim = await impostor.send(
            "EiRegisterParty", m.OadrCreatePartyRegistration(ven_name="x", ven_id=reply.ven_id)
        )
        assert claim.response.response_code == m.ResponseCode.INVALID_ID


async def test_no_client_certificate_no_connection(mtls_url: str, pki: TestPki) -> None:
    async with aiohttp.ClientSession() as session:
        ven = Ven(mtls_url, session, "anon", ssl=client_ssl(pki, None))
        with pytest.raises(aiohttp.ClientError):
            await ven.register()


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")
async def test_tls_below_1_2_is_refused(mtls_url: str, pki: TestPki) -> None:
    ctx = client_ssl(pki, pki.issue("old", "ven-old"))
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    async with aiohttp.ClientSession() as session:
        with pytest.raises((aiohttp.ClientError, ssl.SSLError)):
            await Ven(mtls_url, session, "old", ssl=ctx).register()


async def test_closed_registration_without_certificate_is_refused(
    engine: AsyncEngine, pki: TestPki
) -> None:
    server = pki.issue("server", "vtn.test", server=True)
    settings = TEST_SETTINGS.model_copy(update={"open_registration": False})
    # TLS without client authentication: the VEN has no certificate to show.
    runner, *_, url = await start_vtn(
        engine, settings, ssl_context=server_context(server.cert, server.key)
    )
    try:
        async with aiohttp.ClientSession() as session:
            ven = Ven(url, session, "anon", ssl=client_ssl(pki, None))
            reply = await ven.send(
                "EiRegisterParty", m.OadrCreatePartyRegistration(ven_name="anon")
            )
            assert reply.response.response_code == m.ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
            assert reply.ven_id is None
    finally:
        await runner.cleanup()


def test_server_context_requires_tls_1_2(pki: TestPki) -> None:
    server = pki.issue("server", "vtn.test", server=True)
    ctx = server_context(server.cert, server.key, pki.ca)
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert server_context(server.cert, server.key).verify_mode == ssl.CERT_NONE


async def test_flexcoop_cloud_cli_serves_mutual_tls(pki: TestPki, tmp_path: Path) -> None:
    server, alice = pki.issue("server", "vtn.test", server=True), pki.issue("alice", "ven-a")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "flexcoop.cli", "cloud", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--db", f"sqlite:///{tmp_path / 'cli.sqlite'}"]
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        "--tls-cert",
        str(server.cert),
        "--tls-key",
        str(server.key),
        "--tls-ca",
        str(pki.ca),
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        url = f"https://127.0.0.1:{port}{VTN_PREFIX}"
        async with aiohttp.ClientSession() as session:
            ven = Ven(url, session, "alice", ssl=client_ssl(pki, alice))
            for _ in range(300):
                try:
                    reply = await ven.register()
                    break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("flexcoop cloud did not come up")
            assert reply.ven_id == fingerprint_pem(alice.cert.read_bytes())
    finally:
        proc.terminate()
        assert await proc.wait() == 0  # clean shutdown on SIGTERM


def test_cli_refuses_half_tls_configuration(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "flexcoop.cli", "cloud", "--tls-ca", str(tmp_path / "ca.pem")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "--tls-cert and --tls-key" in out.stdout
