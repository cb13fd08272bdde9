"""``flexcoop cloud`` as operators run it: a separate process, migrate, serve, clean SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

import aiohttp
import pytest

SECRET = "server-test-secret-" + "z" * 32


async def _read_events(stream: asyncio.StreamReader, until: str) -> list[dict]:
    events = []
    while line := await stream.readline():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
        if events[-1].get("event") == until:
            break
    return events


@pytest.mark.timeout(120)
async def test_cloud_command_serves_and_stops_on_sigterm(tmp_path, mint) -> None:
    env = os.environ | {"FLEXCOOP_JWT_HS256_SECRET": SECRET}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "flexcoop.cli",
        "cloud",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--db",
        f"sqlite:///{tmp_path / 'cloud.sqlite'}",
        "--open-registration",
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    try:
        events = await asyncio.wait_for(_read_events(proc.stderr, "cloud_listening"), 60)
        warning = [e for e in events if e["event"] == "open_registration_enabled"]
        assert warning and warning[0]["level"] == "warning"
        port = events[-1]["port"]
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as s:
            async with s.get(f"{base}/api/v1/openapi.json") as r:
                assert r.status == 200
            async with s.get(f"{base}/api/v1/ders") as r:
                assert r.status == 401
            token = mint(secret=SECRET)
            headers = {"Authorization": f"Bearer {token}"}
            async with s.get(f"{base}/api/v1/ders", headers=headers) as r:
                assert r.status == 200 and (await r.json())["items"] == []
            async with s.get(f"{base}/") as r:
                assert r.status == 200 and "DER registry" in await r.text()
        proc.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(_read_events(proc.stderr, "never"), 60)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
        assert "cloud_stopping" in [e["event"] for e in rest]
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
