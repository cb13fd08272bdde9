"""``flexcoop demo``: virtual homes, each with its OSB, talking OpenADR 2.0b to a local cloud.

Everything runs for real on 127.0.0.1 and in a temporary directory: each virtual home (2R2C
house, heat pump + DHW, PV, battery, EV, meter) is served over Modbus TCP/SunSpec; each home's
OSB daemon polls it, stores readings and 15-minute aggregates, and its VEN registers at the
cloud's VTN, reports telemetry and answers a demand-response event. Simulated time runs
``speed`` times faster than the wall clock (default: a day a minute); the daemons run on the
same simulated clock so their stored time series cover the simulated day.

The summary compares what each OSB measured over Modbus (energy counters in its store) with the
simulator's own energy accounting: they agree when the whole chain is right.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from aiohttp import web

from flexcoop.cloud.app import CONTEXT, CloudSettings, create_app
from flexcoop.cloud.vtn.events import EventSpec, IntervalSpec, SignalName, SignalSpec, TargetSpec
from flexcoop.cloud.vtn.http import VTN_KEY
from flexcoop.config import parse_config
from flexcoop.edge.devices import DeviceRegistry
from flexcoop.edge.model import Reading
from flexcoop.edge.runtime import OsbDaemon
from flexcoop.hardware.virtual.clock import SimClock
from flexcoop.hardware.virtual.home import HomeConfig, VirtualHome
from flexcoop.hardware.virtual.serve import serve_home
from flexcoop.logs import setup_logging
from flexcoop.units import INTERVAL, floor_interval, utcnow

PROGRESS_EVERY = timedelta(hours=3)


@dataclass
class HomeRun:
    index: int
    home: VirtualHome
    daemon: OsbDaemon
    physics: asyncio.Task[None]
    measured: dict[str, float] = field(default_factory=dict)


async def _start_cloud(stack: AsyncExitStack, tmp: Path) -> tuple[web.Application, str]:
    settings = CloudSettings(
        db_url=f"sqlite:///{tmp / 'cloud.sqlite'}", open_registration=True, der_timeout_s=120
    )
    app = await create_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return app, f"http://127.0.0.1:{port}/OpenADR2/Simple/2.0b"


async def _start_home(
    stack: AsyncExitStack, i: int, clock: SimClock, tmp: Path, vtn_url: str, stop: asyncio.Event
) -> HomeRun:
    home = VirtualHome(HomeConfig().scaled(i), clock, seed=i)
    # The physics must follow the clock from the first instant: a home that only starts
    # stepping later would catch up in one jump that its meter then reports.
    physics = asyncio.create_task(home.run(stop, tick_s=0.1))
    served = await stack.enter_async_context(serve_home(home))
    config = parse_config(
        {
            "openadr": {"vtn_url": vtn_url, "ven_name": f"demo-home-{i}", "poll_interval_s": 1},
            "api": {"host": "127.0.0.1", "port": 0},
            "store": {"data_dir": str(tmp / f"osb-{i}")},
            "log": {"level": "WARNING"},
            "devices": served.device_tables(poll_interval_s=0.2),
        },
        file=f"<demo home {i}>",
    )
    daemon = OsbDaemon(config, clock=clock.now)
    await daemon.start()
    stack.push_async_callback(daemon.stop)
    return HomeRun(i, home, daemon, physics)


async def _wait_registered(runs: list[HomeRun], timeout_s: float = 30.0) -> list[str]:
    async with asyncio.timeout(timeout_s):
        while True:
            ids = [r.daemon.ven.status().ven_id for r in runs if r.daemon.ven is not None]
            if len(ids) == len(runs) and all(ids):
                return [i for i in ids if i]
            await asyncio.sleep(0.1)


def _fmt_kwh(wh: float) -> str:
    return f"{wh / 1000:7.2f} kWh"


COUNTERS = (
    ("pv_wh", "pv", "energy_wh"),
    ("import_wh", "meter", "import_energy_wh"),
    ("export_wh", "meter", "export_energy_wh"),
    ("heat_pump_wh", "heat_pump", "energy_wh"),
)


async def _settle(runs: list[HomeRun], clock: SimClock) -> dict[int, dict[str, float]]:
    """With the clock paused: let every home's physics reach the paused instant and every OSB
    read its counters twice more, then return those counters per home. Both sides of the
    comparison then start (or end) at exactly the same simulated instant."""
    target = clock.now()

    def counters(r: HomeRun) -> list[Reading | None]:
        return [r.daemon.registry.latest_value(d, p) for _, d, p in COUNTERS]

    async with asyncio.timeout(60):
        while any(r.home.time < target for r in runs):  # noqa: ASYNC110 - physics ticks
            await asyncio.sleep(0.02)
        # Two fresh polls: the first may have begun before the physics caught up.
        for _ in range(2):
            seen = [counters(r) for r in runs]

            def stale(seen: list[list[Reading | None]] = seen) -> bool:
                now = [counters(r) for r in runs]
                return any(
                    None in cur or any(a is b for a, b in zip(cur, old, strict=True))
                    for cur, old in zip(now, seen, strict=True)
                )

            while stale():  # noqa: ASYNC110 - the registry has no change notification
                await asyncio.sleep(0.02)
    return {
        r.index: {k: c.value for (k, _, _), c in zip(COUNTERS, counters(r), strict=True) if c}
        for r in runs
    }


async def _aggregates(run: HomeRun, start: datetime, end: datetime) -> int:
    """15-minute aggregates of grid power the OSB stored over the run."""
    store = run.daemon.store
    await store.flush()
    await store.aggregate_now(until=end + INTERVAL)
    return len(await store.aggregates("meter", "power_w", start, end))


async def run_demo_async(
    homes: int = 1,
    hours: float = 24.0,
    speed: float = 1440.0,
    day: date | None = None,
    out: TextIO = sys.stdout,
) -> dict[str, Any]:
    if homes < 1 or hours <= 0 or speed <= 0:
        raise ValueError("homes, hours and speed must be positive")
    day = day or utcnow().date()
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    print(
        f"flexcoop demo: {homes} home(s), {hours:g} h from {start:%Y-%m-%d %H:%M} UTC, "
        f"{speed:g}x real time",
        file=out,
    )
    with tempfile.TemporaryDirectory(prefix="flexcoop-demo-") as tmpdir:
        tmp = Path(tmpdir)
        async with AsyncExitStack() as stack:
            app, vtn_url = await _start_cloud(stack, tmp)
            print(f"  cloud   VTN + registry at {vtn_url}", file=out)
            clock = SimClock(start, speed)
            stop = asyncio.Event()
            runs: list[HomeRun] = []
            try:
                for i in range(homes):
                    runs.append(await _start_home(stack, i, clock, tmp, vtn_url, stop))
                ven_ids = await _wait_registered(runs)
                devices = sum(len(r.daemon.registry.devices()) for r in runs)
                print(
                    f"  edge    {homes} OSB(s) polling {devices} Modbus/SunSpec devices; "
                    f"VENs registered: {', '.join(ven_ids)}",
                    file=out,
                )
                apps = ", ".join(f"http://127.0.0.1:{r.daemon.api_port}/" for r in runs)
                print(f"  edge    OSB apps while the demo runs: {apps}", file=out)
                # The comparison starts at one instant for the simulator and every OSB.
                t0 = clock.pause()
                first = await _settle(runs, clock)
                for r in runs:
                    r.home.reset_summary()
                clock.resume()
                end = t0 + timedelta(hours=hours)
                vtn = app[VTN_KEY]
                spec = EventSpec(
                    start=utcnow() + timedelta(seconds=10),
                    duration_s=3600,
                    signals=[
                        SignalSpec(
                            name=SignalName.SIMPLE,
                            type="level",
                            intervals=[IntervalSpec(duration_s=3600, value=2)],
                        )
                    ],
                    targets=TargetSpec(ven_ids=ven_ids),
                    vtn_comment="flexcoop demo",
                )
                await vtn.create_event(spec)
                print(
                    f"  cloud   DR event {spec.event_id[:8]}… (SIMPLE level 2) sent to "
                    f"{len(ven_ids)} VEN(s)",
                    file=out,
                )
                next_progress = (
                    floor_interval(t0, int(PROGRESS_EVERY.total_seconds())) + PROGRESS_EVERY
                )
                while clock.now() < end:
                    await asyncio.sleep(0.05)
                    if clock.now() >= next_progress:
                        _progress(runs, next_progress, out)
                        next_progress += PROGRESS_EVERY
                end = clock.pause()
                last = await _settle(runs, clock)
            finally:
                stop.set()
                await asyncio.gather(*(r.physics for r in runs), return_exceptions=True)
            for r in runs:
                r.measured = {k: last[r.index][k] - first[r.index][k] for k in first[r.index]}
                r.measured["aggregates"] = await _aggregates(r, t0, end)
            ctx = app[CONTEXT]
            counts = await ctx.registry.counts()
            ven_states = [r.daemon.ven.status() for r in runs]
            summary = _summary(runs, t0, end, counts, ven_states, out)
    return summary


def _progress(runs: list[HomeRun], at: datetime, out: TextIO) -> None:
    parts = []
    for r in runs:

        def v(device: str, point: str, reg: DeviceRegistry = r.daemon.registry) -> float:
            reading = reg.latest_value(device, point)
            return reading.value if reading else float("nan")

        parts.append(
            f"home {r.index}: PV {v('pv', 'power_w'):6.0f} W  grid {v('meter', 'power_w'):6.0f} W  "
            f"SoC {v('battery', 'soc_pct'):5.1f} %  indoor {v('heat_pump', 'indoor_temp_c'):4.1f} °C"
        )
    print(f"  {at:%H:%M}   " + "\n          ".join(parts), file=out)


def _summary(
    runs: list[HomeRun],
    start: datetime,
    end: datetime,
    counts: dict[tuple[str, str], int],
    ven_states: list[Any],
    out: TextIO,
) -> dict[str, Any]:
    homes = []
    print(f"\nSummary {start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} UTC", file=out)
    for r, ven in zip(runs, ven_states, strict=True):
        truth = r.home.summary.as_dict()
        print(f"home {r.index}            simulator     OSB measured (Modbus counters)", file=out)
        for label, key in (
            ("PV", "pv_wh"),
            ("grid import", "import_wh"),
            ("grid export", "export_wh"),
            ("heat pump", "heat_pump_wh"),
        ):
            print(
                f"  {label:<14} {_fmt_kwh(float(truth[key]))}   {_fmt_kwh(r.measured[key])}",
                file=out,
            )
        print(
            f"  self-consumption {float(truth['self_consumption_pct']):5.1f} %   "
            f"indoor {float(truth['min_indoor_temp_c']):.1f}–{float(truth['max_indoor_temp_c']):.1f} °C   "
            f"heat-pump COP {float(truth['heat_pump_cop']):.2f}",
            file=out,
        )
        print(
            f"  OSB stored {int(r.measured['aggregates'])} 15-min aggregates of grid power",
            file=out,
        )
        print(
            f"  VEN {ven.ven_id}: events {dict(ven.events)}, messages delivered {ven.delivered}, "
            f"backlog {ven.outbox_backlog}",
            file=out,
        )
        homes.append(
            {"simulated": truth, "measured": r.measured, "ven": ven.model_dump(mode="json")}
        )
    ders = {f"{s}/{t}": n for (s, t), n in sorted(counts.items())}
    print(f"cloud: DERs by status/type {ders}", file=out)
    return {"start": start.isoformat(), "end": end.isoformat(), "homes": homes, "ders": ders}


def run_demo(homes: int = 1, hours: float = 24.0, speed: float = 1440.0) -> int:
    setup_logging("WARNING")
    try:
        asyncio.run(run_demo_async(homes=homes, hours=hours, speed=speed))
    except (ValueError, TimeoutError) as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    return 0
