"""Event fan-out: N registered VENs, one event for all, time until every VEN's poll returns it.

Starts ``flexcoop cloud`` (open registration) in its own process on 127.0.0.1, registers N VENs
over OpenADR (each polls once, as a live VEN would), measures the VTN's RSS growth per VEN,
creates one event targeting all of them through ``POST /api/v1/events`` and then polls every
VEN (64 in flight) until each has received it.

    python bench/vtn_fanout.py [--vens 10000] [--db URL] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import psutil

from flexcoop.benchtools import emit
from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import decode, encode
from flexcoop.units import utcnow

PREFIX = "/OpenADR2/Simple/2.0b"
CONCURRENCY = 64


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def bounded(items: Iterable[Any], job: Callable[[Any], Awaitable[Any]]) -> list[Any]:
    """Run ``job`` over ``items`` with at most CONCURRENCY in flight; results in order."""
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one(item: Any) -> Any:
        async with sem:
            return await job(item)

    return list(await asyncio.gather(*(one(i) for i in items)))


async def post(session: aiohttp.ClientSession, url: str, msg: m.OadrMessage) -> Any:
    async with session.post(url, data=encode(msg)) as resp:
        resp.raise_for_status()
        return decode(await resp.read())


async def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"flexcoop cloud exited with {proc.returncode}")
            try:
                async with session.get(f"{base}/api/v1/openapi.json") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("flexcoop cloud did not start")


def start_server(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def run(n_vens: int, db_url: str) -> None:
    port = free_port()
    secret = secrets.token_urlsafe(48)
    env = os.environ | {"FLEXCOOP_JWT_HS256_SECRET": secret, "FLEXCOOP_LOG_LEVEL": "WARNING"}
    cmd = [sys.executable, "-m", "flexcoop.cli", "cloud", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--db", db_url, "--open-registration"]
    proc = start_server(cmd, env)
    base = f"http://127.0.0.1:{port}"
    vtn = f"{base}{PREFIX}"
    try:
        await wait_ready(base, proc)
        rss = psutil.Process(proc.pid)
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(connector=connector) as session:
            await asyncio.sleep(1)  # let start-up allocations settle
            rss_before = rss.memory_info().rss

            async def register(i: int) -> str:
                reply = await post(
                    session,
                    f"{vtn}/EiRegisterParty",
                    m.OadrCreatePartyRegistration(ven_name=f"bench-{i}"),
                )
                assert reply.ven_id, reply
                first = await post(session, f"{vtn}/OadrPoll", m.OadrPoll(ven_id=reply.ven_id))
                assert isinstance(first, m.OadrDistributeEvent)
                return str(reply.ven_id)

            t0 = time.perf_counter()
            ven_ids = await bounded(range(n_vens), register)
            t_reg = time.perf_counter() - t0
            rss_after = rss.memory_info().rss

            token = jwt.encode(
                {
                    "sub": "bench",
                    "scope": "events:read events:write",
                    "aud": "flexcoop-cloud",
                    "exp": int(time.time()) + 3600,
                },
                secret,
                algorithm="HS256",
            )
            spec = {
                "start": (utcnow() + timedelta(hours=1)).isoformat(),
                "duration_s": 3600,
                "signals": [
                    {
                        "name": "SIMPLE",
                        "type": "level",
                        "intervals": [{"duration_s": 3600, "value": 2}],
                    }
                ],
                "targets": {"ven_ids": ven_ids},
            }
            t1 = time.perf_counter()
            async with session.post(
                f"{base}/api/v1/events", json=spec, headers={"Authorization": f"Bearer {token}"}
            ) as resp:
                created = await resp.json()
                assert resp.status == 201, created
            t_create = time.perf_counter() - t1
            event_id = created["event_id"]
            polls = 0

            async def until_delivered(ven_id: str) -> None:
                nonlocal polls
                while True:
                    polls += 1
                    got = await post(session, f"{vtn}/OadrPoll", m.OadrPoll(ven_id=ven_id))
                    if isinstance(got, m.OadrDistributeEvent) and any(
                        e.event_id == event_id for e in got.events
                    ):
                        return

            await bounded(ven_ids, until_delivered)
            t_fanout = time.perf_counter() - t1
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    backend = db_url.split(":", 1)[0]
    emit("VEN registrations (incl. first poll)", n_vens / t_reg, "VEN/s", n_vens, db=backend)
    emit("event creation for all VENs (REST)", t_create, "s", n_vens, db=backend)
    emit(
        "event creation until every VEN's poll returned it",
        t_fanout,
        "s",
        n_vens,
        db=backend,
        polls=polls,
        concurrency=CONCURRENCY,
    )
    emit(
        "VTN RSS per registered VEN",
        (rss_after - rss_before) / n_vens,
        "bytes",
        n_vens,
        db=backend,
        rss_before_mb=round(rss_before / 2**20, 1),
        rss_after_mb=round(rss_after / 2**20, 1),
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vens", type=int, default=10_000)
    p.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    p.add_argument("--quick", action="store_true", help="50 VENs (smoke test)")
    args = p.parse_args()
    n = 50 if args.quick else args.vens
    with tempfile.TemporaryDirectory() as tmp:
        db_url = args.db or f"sqlite:///{Path(tmp) / 'fanout.sqlite'}"
        asyncio.run(run(n, db_url))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
