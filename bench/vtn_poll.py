"""oadrPoll throughput: our VTN vs an openleadr 0.5.36 VTN vs a bare aiohttp handler.

Each server runs in its own process on 127.0.0.1; ``wrk`` (16 connections) posts a registered
VEN's real, empty oadrPoll for a fixed duration. Prints one JSON object per figure (requests/s
of each server) and the two ratios the project tracks (ours/openleadr, ours/bare).

    python bench/vtn_poll.py [--duration 5] [--rounds 3] [--connections 16] [--quick]

Needs ``wrk`` (``apt-get install -y wrk``); without it prints a skip notice and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flexcoop.aio import run_fast
from flexcoop.benchtools import emit

PREFIX = "/OpenADR2/Simple/2.0b"
POLL_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07">'
    '<oadr:oadrSignedObject><oadr:oadrPoll xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/'
    '201110" ei:schemaVersion="2.0b"><ei:venID>{ven_id}</ei:venID></oadr:oadrPoll>'
    "</oadr:oadrSignedObject></oadr:oadrPayload>"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ----------------------------------------------------------------------------- servers


async def serve_bare(port: int) -> None:
    from aiohttp import web

    reply = b'<?xml version="1.0" encoding="UTF-8"?><oadrResponse/>'

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=reply, content_type="application/xml")

    app = web.Application()
    app.router.add_post(f"{PREFIX}/OadrPoll", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


async def serve_openleadr(port: int) -> None:
    import logging

    from openleadr import OpenADRServer

    logging.getLogger("openleadr").setLevel(logging.ERROR)
    server = OpenADRServer(
        vtn_id="BENCH_VTN",
        http_host="127.0.0.1",
        http_port=port,
        show_fingerprint=False,
        ven_lookup=lambda ven_id: {
            "ven_id": ven_id,
            "ven_name": "bench",
            "fingerprint": None,
            "registration_id": "reg-bench",
        },
    )
    await server.run()
    print("ready", flush=True)
    await asyncio.Event().wait()


def start(kind: str, port: int, db_url: str, log_dir: Path) -> subprocess.Popen[bytes]:
    if kind == "ours":
        cmd = [
            sys.executable,
            "-m",
            "flexcoop.cli",
            "cloud",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--db",
            db_url,
            "--open-registration",
        ]
        env = os.environ | {"FLEXCOOP_LOG_LEVEL": "WARNING"}
    else:
        cmd = [sys.executable, __file__, "--serve", kind, "--port", str(port)]
        env = dict(os.environ)
    with open(log_dir / f"{kind}.log", "wb") as log:
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, env=env)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


async def wait_ready(
    port: int, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 60
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = _tail(log)
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}:\n{tail}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


async def register_ours(base: str) -> str:
    import aiohttp

    from flexcoop.openadr import messages as m
    from flexcoop.openadr.codec import decode, encode

    async with aiohttp.ClientSession() as session:
        msg = m.OadrCreatePartyRegistration(ven_name="bench-ven")
        async with session.post(f"{base}/EiRegisterParty", data=encode(msg)) as resp:
            reply = decode(await resp.read())
        assert isinstance(reply, m.OadrCreatedPartyRegistration) and reply.ven_id
        # Drain what a fresh registration has waiting, so the measured polls are the empty ones.
        poll = POLL_XML.format(ven_id=reply.ven_id).encode()
        for _ in range(5):
            async with session.post(f"{base}/OadrPoll", data=poll) as resp:
                if b"oadrResponse" in await resp.read():
                    break
        return reply.ven_id


def run_wrk(url: str, body: str, duration_s: int, connections: int) -> tuple[float, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(body)}\n"
            'wrk.headers["Content-Type"] = "application/xml"\n'
        )
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{duration_s}s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} non-2xx responses")
    return rps, total


async def measure(duration_s: int, connections: int, rounds: int) -> None:
    """All three servers run at once; rounds alternate between them so that load from the
    rest of the machine hits each alike. Figures are the per-server median over the rounds."""
    kinds = ("ours", "openleadr", "bare")
    runs: dict[str, list[tuple[float, int]]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'vtn-bench.sqlite'}"
        ports = {k: free_port() for k in kinds}
        procs = {k: start(k, ports[k], db_url, Path(tmp)) for k in kinds}
        try:
            targets = {}
            for kind in kinds:
                await wait_ready(ports[kind], procs[kind], Path(tmp) / f"{kind}.log")
                base = f"http://127.0.0.1:{ports[kind]}{PREFIX}"
                ven_id = await register_ours(base) if kind == "ours" else "bench-ven"
                targets[kind] = (f"{base}/OadrPoll", POLL_XML.format(ven_id=ven_id))
                run_wrk(*targets[kind], 1, connections)  # warm-up
            for _ in range(rounds):
                for kind in kinds:
                    runs[kind].append(run_wrk(*targets[kind], duration_s, connections))
        finally:
            for proc in procs.values():
                proc.terminate()
            for proc in procs.values():
                proc.wait(timeout=30)
    median = {k: statistics.median(r for r, _ in runs[k]) for k in kinds}
    for kind, label in (("ours", "flexcoop VTN"), ("openleadr", "openleadr VTN"), ("bare", "bare")):
        n = sum(total for _, total in runs[kind])
        emit(
            f"oadrPoll throughput, {label}",
            median[kind],
            "req/s",
            n,
            connections=connections,
            rounds=rounds,
        )
    ours = median["ours"]
    emit("oadrPoll ours / openleadr", ours / median["openleadr"], "ratio", rounds, goal=5.0)
    emit("oadrPoll ours / bare aiohttp", ours / median["bare"], "ratio", rounds, goal=0.6)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=int, default=5, help="seconds of load per server and round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--quick", action="store_true", help="one 1 s round (smoke test)")
    p.add_argument("--serve", choices=["bare", "openleadr"], help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        # The same event loop as ``flexcoop cloud`` (uvloop when installed) for all three.
        server = serve_bare if args.serve == "bare" else serve_openleadr
        run_fast(server(args.port))
        return 0
    if shutil.which("wrk") is None:
        print(json.dumps({"figure": "oadrPoll throughput", "skipped": "wrk not installed"}))
        return 0
    if args.quick:
        args.duration, args.rounds = 1, 1
    asyncio.run(measure(args.duration, args.connections, args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
