"""Resident memory of the OSB daemon polling 50 SunSpec devices every second.

Serves 50 SunSpec devices (inverters, batteries, meters; values that move) from 10 pymodbus
servers on 127.0.0.1, runs the real ``flexcoop osb`` daemon in a subprocess against them with
``poll_interval_s = 1``, and samples the daemon's RSS from /proc. Prints JSON: RSS at the end
of the run, peak RSS, readings stored. Goal: < 60 MB after 10 minutes.

    python bench/osb_rss.py [--quick] [--devices 50] [--duration-s 600] [--with-ven]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from aiohttp import web

from flexcoop.cloud.app import CloudSettings, create_app
from flexcoop.edge.store.store import DB_FILENAME
from flexcoop.hardware.virtual.sunspec_server import SunSpecUnit, VirtualModbusServer

KINDS = ([103, 123], [103, 124], [203])  # PV inverter, battery inverter, meter


def _moving_values(seed: int) -> Callable[[], dict[str, float]]:
    def values() -> dict[str, float]:
        t = time.monotonic()
        return {
            "power_w": 2000 + 1500 * math.sin(t / 30 + seed),
            "energy_wh": 1e6 + t * 10,
            "frequency_hz": 50 + 0.02 * math.sin(t),
            "voltage_l1_v": 230 + 3 * math.sin(t / 7 + seed),
            "soc_pct": 50 + 40 * math.sin(t / 300 + seed),
        }

    return values


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


@asynccontextmanager
async def _vtn(tmp: Path) -> AsyncIterator[str]:
    """A local cloud (VTN) in this process, for runs that include the box's VEN."""
    app = await create_app(
        CloudSettings(db_url=f"sqlite:///{tmp / 'cloud.sqlite'}", open_registration=True)
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/OpenADR2/Simple/2.0b"
    finally:
        await runner.cleanup()


async def run(
    devices: int, duration_s: float, with_ven: bool, per_server: int = 5
) -> list[dict[str, object]]:
    servers = []
    for first in range(0, devices, per_server):
        units = [
            SunSpecUnit(KINDS[i % len(KINDS)], _moving_values(i), unit_id=i - first + 1)
            for i in range(first, min(first + per_server, devices))
        ]
        servers.append(VirtualModbusServer(units))
    for s in servers:
        await s.start()
    async with AsyncExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        config = Path(tmp) / "osb.toml"
        lines = ['[store]\ndata_dir = "data"\n[api]\nport = 0\n[log]\nlevel = "WARNING"\n']
        if with_ven:
            vtn_url = await stack.enter_async_context(_vtn(Path(tmp)))
            lines.append(f'[openadr]\nvtn_url = "{vtn_url}"\nven_name = "bench"\n')
        for i in range(devices):
            server = servers[i // per_server]
            lines.append(
                f'[[devices]]\nid = "dev{i}"\ndriver = "modbus"\nhost = "127.0.0.1"\n'
                f"port = {server.port}\nunit_id = {i % per_server + 1}\npoll_interval_s = 1.0\n"
            )
        config.write_text("".join(lines))
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "flexcoop.cli",
            "osb",
            "--config",
            str(config),
            stderr=asyncio.subprocess.DEVNULL,
        )
        peak = 0
        started = time.monotonic()
        try:
            while time.monotonic() - started < duration_s:
                await asyncio.sleep(1.0)
                if proc.returncode is not None:
                    raise RuntimeError(f"daemon exited with {proc.returncode}")
                peak = max(peak, _rss_kb(proc.pid))
            final = _rss_kb(proc.pid)
        finally:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 30)
            for s in servers:
                await s.stop()
        db = sqlite3.connect(Path(tmp) / "data" / DB_FILENAME)
        stored = db.execute("SELECT count(*) FROM reading").fetchone()[0]
        db.close()
    n = int(duration_s)
    return [
        {
            "figure": "osb_rss_end",
            "value": round(final / 1024, 1),
            "unit": "MB",
            "n": n,
            "devices": devices,
            "poll_interval_s": 1.0,
            "with_ven": with_ven,
            "goal": "< 60 MB after 600 s",
        },
        {
            "figure": "osb_rss_peak",
            "value": round(peak / 1024, 1),
            "unit": "MB",
            "n": n,
            "devices": devices,
        },
        {
            "figure": "osb_readings_stored",
            "value": stored,
            "unit": "readings",
            "n": n,
            "devices": devices,
        },
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 devices for 8 s (smoke run)")
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--duration-s", type=float, default=600.0)
    parser.add_argument(
        "--with-ven", action="store_true", help="also run the VEN against a local VTN"
    )
    args = parser.parse_args(argv)
    devices, duration = (5, 8.0) if args.quick else (args.devices, args.duration_s)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    for figure in asyncio.run(run(devices, duration, args.with_ven)):
        print(json.dumps(figure))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
