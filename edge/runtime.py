"""The OSB daemon: one asyncio process that wires drivers, registry, bus, store, API and VEN.

Start-up order matters for "edge-first": the store opens first (so nothing read is lost), then
drivers (each isolated: one failing driver is retried with back-off and never stops the
others), then the local API, then the VEN. Shutdown runs in reverse and flushes the store last.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from aiohttp import web

from flexcoop.aio import cancel_and_wait
from flexcoop.config import OsbConfig
from flexcoop.drivers import load_driver
from flexcoop.drivers.base import DeviceConfig, Driver
from flexcoop.edge.bus import Bus
from flexcoop.edge.devices import DeviceRegistry
from flexcoop.edge.model import CommandResult, DeviceInfo, DeviceStatus, Reading
from flexcoop.edge.store import Store
from flexcoop.logs import event, get_logger, setup_logging
from flexcoop.units import utcnow

log = get_logger(__name__)


class _DriverContext:
    """What one driver sees of the daemon: readings go to the registry, store and bus."""

    def __init__(self, daemon: OsbDaemon) -> None:
        self._daemon = daemon

    def now(self) -> datetime:
        return self._daemon.clock()

    def emit(self, readings: Sequence[Reading]) -> None:
        d = self._daemon
        d.registry.observe(readings)
        d.store.add_readings(readings)
        d.bus.publish_many(list(readings))

    def set_status(self, status: DeviceStatus) -> None:
        previous = self._daemon.registry.status(status.device)
        self._daemon.registry.set_status(status)
        if previous is None or previous.online != status.online:
            self._daemon.bus.publish(status)

    def describe(self, info: DeviceInfo) -> None:
        self._daemon.registry.describe(info)
        self._daemon.bus.publish(info)


class OsbDaemon:
    """The box. ``clock`` is only ever replaced by simulations (the demo runs a day a minute)."""

    def __init__(self, config: OsbConfig, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.config = config
        self.clock = clock
        self.bus = Bus()
        self.registry = DeviceRegistry(self.bus)
        self.store = Store(
            config.store.data_dir,
            raw_retention_days=config.store.raw_retention_days,
            aggregate_retention_days=config.store.aggregate_retention_days,
        )
        self.drivers: dict[str, Driver] = {}
        self.driver_errors: dict[str, str] = {}
        self.ven: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self.api_port: int | None = None
        self._stopped = asyncio.Event()

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        await self.store.start()
        self._tasks.append(asyncio.create_task(self._journal(), name="journal"))
        by_driver: dict[str, list[DeviceConfig]] = defaultdict(list)
        for device in self.config.devices:
            by_driver[device.driver].append(device)
        ctx = _DriverContext(self)
        for name, devices in by_driver.items():
            driver = load_driver(name)(ctx)
            self.drivers[name] = driver
            for device in devices:
                self.registry.add(device, driver)
            self._tasks.append(
                asyncio.create_task(self._supervise(name, driver, devices), name=f"driver:{name}")
            )
        await self._start_api()
        await self._start_ven()
        event(
            log,
            "osb_started",
            devices=len(self.config.devices),
            drivers=sorted(self.drivers),
            api_port=self.api_port,
        )

    async def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self.ven is not None:
            with contextlib.suppress(Exception):
                await self.ven.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        for name, driver in self.drivers.items():
            try:
                await driver.stop()
            except Exception:
                log.exception("driver_stop_failed", extra={"fields": {"driver": name}})
        await cancel_and_wait(self._tasks)
        await self.store.stop()
        event(log, "osb_stopped")

    async def __aenter__(self) -> OsbDaemon:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- pieces ----------------------------------------------------------------------------
    async def _supervise(self, name: str, driver: Driver, devices: list[DeviceConfig]) -> None:
        """Start a driver; if it fails, retry with capped, jittered back-off. Never raises."""
        delay = 1.0
        while True:
            try:
                for device in devices:
                    await driver.add_device(device)
                await driver.start()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.driver_errors[name] = f"{type(exc).__name__}: {exc}"
                log.exception(
                    "driver_start_failed", extra={"fields": {"driver": name, "retry_in_s": delay}}
                )
                with contextlib.suppress(Exception):
                    await driver.stop()
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, 300.0)
                continue
            self.driver_errors.pop(name, None)
            return

    async def _journal(self) -> None:
        """Record liveness changes and rejected writes in the store (the gap markers)."""
        statuses = self.bus.subscribe(DeviceStatus)
        results = self.bus.subscribe(CommandResult)
        getters = {
            asyncio.ensure_future(statuses.get()): statuses,
            asyncio.ensure_future(results.get()): results,
        }
        try:
            while True:
                done, _ = await asyncio.wait(getters, return_when=asyncio.FIRST_COMPLETED)
                for fut in done:
                    sub = getters.pop(fut)
                    await self._record(fut.result())
                    getters[asyncio.ensure_future(sub.get())] = sub
        finally:
            for fut in getters:
                fut.cancel()
            statuses.close()
            results.close()

    async def _record(self, message: object) -> None:
        from flexcoop.edge.store import StoreUnavailableError

        try:
            if isinstance(message, DeviceStatus):
                kind = "device_online" if message.online else "device_offline"
                await self.store.add_event(
                    kind, message.device, {"reason": message.reason}, ts=message.ts
                )
                event(log, kind, device=message.device, reason=message.reason)
            elif isinstance(message, CommandResult) and not message.accepted:
                c = message.command
                await self.store.add_event(
                    "write_rejected",
                    c.device,
                    {
                        "point": c.point,
                        "value": c.value,
                        "unit": c.unit,
                        "source": c.source,
                        "reason": message.reason,
                    },
                    ts=c.ts,
                )
        except StoreUnavailableError as exc:
            # The store reports itself unhealthy; control goes on regardless.
            event(log, "journal_unavailable", error=str(exc))

    async def _start_api(self) -> None:
        from flexcoop.edge.api import create_app

        app = create_app(self)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.api.host, self.config.api.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.api_port = sockets[0].getsockname()[1] if sockets else self.config.api.port

    async def _start_ven(self) -> None:
        oadr = self.config.openadr
        if oadr is None or not oadr.enabled:
            return
        from flexcoop.edge.ven import create_ven

        self.ven = create_ven(self)
        await self.ven.start()

    # -- health ----------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        store = self.store.health()
        devices = self.registry.devices()
        online = sum(1 for d in devices if (s := self.registry.status(d.id)) and s.online)
        return {
            "ok": store.ok and not self.driver_errors,
            "store": {
                "ok": store.ok,
                "writable": store.writable,
                "error": store.error,
                "buffered_readings": store.buffered_readings,
                "dropped_readings": store.dropped_readings,
                "db_bytes": store.db_bytes,
            },
            "drivers": {name: self.driver_errors.get(name, "running") for name in self.drivers},
            "devices": {"configured": len(devices), "online": online},
            "ven": self.ven.status().model_dump(mode="json") if self.ven is not None else None,
        }

    async def run_until_stopped(self) -> None:
        await self._stopped.wait()


async def _main(config: OsbConfig) -> None:
    daemon = OsbDaemon(config)
    loop = asyncio.get_running_loop()
    # A full disk must fail writes (the store buffers and reports), not kill the box.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await daemon.start()
    try:
        await stop.wait()
        event(log, "osb_stopping", reason="signal")
    finally:
        await daemon.stop()


def run_daemon(config: OsbConfig) -> int:
    setup_logging(config.log.level)
    try:
        asyncio.run(_main(config))
    except OSError as exc:  # e.g. API port taken, data dir impossible to create
        event(log, "osb_failed", level=40, error=str(exc))
        return 1
    return 0
