"""One managed Modbus device: interview, poll loop, writes, and recovery after outages."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import TypeVar

from flexcoop.aio import cancel_and_wait
from flexcoop.drivers.base import (
    DeviceUnavailableError,
    DriverContext,
    DriverError,
    UnknownPointError,
)
from flexcoop.drivers.modbus.codec import EncodeError, RegisterType
from flexcoop.drivers.modbus.config import ModbusDeviceConfig
from flexcoop.drivers.modbus.link import Link, ModbusReplyError
from flexcoop.drivers.modbus.mapping import RegisterImage, RegisterPoint, Span, plan_reads
from flexcoop.drivers.modbus.sunspec import interview
from flexcoop.drivers.modbus.sunspec_models import DEFAULT_BASES
from flexcoop.drivers.modbus.templates import resolve_template
from flexcoop.edge.model import DeviceInfo, DeviceStatus, Quality, Reading
from flexcoop.logs import event, get_logger

log = get_logger(__name__)

T = TypeVar("T")

DRIVER_NAME = "modbus"
# SunSpec model blocks are contiguous and fully readable, so one read may span a whole model.
SUNSPEC_READ_GAP = 124


def backoff_delay(failures: int, low_s: float, high_s: float, rng: random.Random) -> float:
    """Exponential back-off, capped, with jitter so boxes behind one outage do not stampede."""
    capped: float = min(high_s, low_s * 2.0 ** min(failures, 32))
    return capped * (0.5 + 0.5 * rng.random())


def _raise_if_cancelled() -> None:
    """Honour a cancellation that a library swallowed.

    Python 3.11's ``asyncio.wait_for`` (used inside pymodbus ``connect``) drops a cancellation
    that arrives as the inner call completes; ``Task.cancelling()`` still remembers it.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class DeviceSession:
    def __init__(
        self, config: ModbusDeviceConfig, link: Link, ctx: DriverContext, rng: random.Random
    ) -> None:
        self.config = config
        self.link = link
        self._ctx = ctx
        self._rng = rng
        self._points: dict[str, RegisterPoint] = {}
        self._batches: list[Span] = []
        self._task: asyncio.Task[None] | None = None
        self._online: bool | None = None  # None until the first poll succeeds or fails
        self._seen = False  # polled successfully at least once: a later return is a RESUME
        self._rejected: set[Span] = set()
        self.info: DeviceInfo | None = None

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def online(self) -> bool:
        return bool(self._online)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"modbus:{self.id}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait([task])

    async def _read(self, register: RegisterType, address: int, count: int) -> list[int]:
        return await self.link.read(self.config.unit_id, register, address, count)

    # -- interview ---------------------------------------------------------------------------
    async def interview(self) -> DeviceInfo:
        """Learn the device's points (template or SunSpec) and describe it to the runtime."""
        cfg = self.config
        if cfg.template is not None:
            template = resolve_template(cfg.template)
            points = template.register_points()
            max_gap = template.read_gap_max
            info = DeviceInfo(
                id=cfg.id,
                driver=DRIVER_NAME,
                kind=template.kind,
                manufacturer=template.manufacturer,
                model=template.model,
            )
        else:
            bases = DEFAULT_BASES if cfg.sunspec_base is None else (cfg.sunspec_base,)
            found = await interview(self._read, bases)
            points = list(found.points)
            max_gap = SUNSPEC_READ_GAP
            info = DeviceInfo(
                id=cfg.id,
                driver=DRIVER_NAME,
                kind=found.kind,
                manufacturer=found.manufacturer,
                model=found.model,
                serial=found.serial,
            )
        info.points = {rp.point.name: rp.point for rp in points}
        self._points = {rp.point.name: rp for rp in points}
        self._batches = plan_reads([s for rp in points for s in rp.spans()], max_gap)
        self._rejected.clear()
        if info != self.info:
            self.info = info
            self._report(self._ctx.describe, info)
            event(
                log,
                "modbus_device_described",
                device=cfg.id,
                kind=info.kind.value,
                points=len(points),
            )
        return info

    # -- polling -----------------------------------------------------------------------------
    async def poll(self, quality: Quality = Quality.GOOD) -> list[Reading]:
        image = RegisterImage()
        for batch in self._batches:
            try:
                words = await self._read(batch.register, batch.address, batch.count)
            except ModbusReplyError as exc:
                if not exc.request_rejected:
                    raise
                # The device is there but refuses this block (wrong template?): report once,
                # keep the other points flowing.
                if batch not in self._rejected:
                    self._rejected.add(batch)
                    event(
                        log,
                        "modbus_read_rejected",
                        logging.WARNING,
                        device=self.id,
                        reason=str(exc),
                    )
                continue
            image.put(batch.register, batch.address, words)
        ts = self._ctx.now()
        readings = []
        for name, rp in self._points.items():
            if not all(image.has(s) for s in rp.spans()):
                continue
            value = rp.decode(image)
            if value is not None:
                readings.append(Reading(self.id, name, value, rp.point.unit, ts, quality))
        return readings

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        while True:
            started = loop.time()
            try:
                await self.link.connect()
                if not self._points or self._online is False:
                    # After an outage the device may have been replaced or re-flashed.
                    await self.interview()
                resumed = self._seen and self._online is False
                readings = await self.poll(Quality.RESUMED if resumed else Quality.GOOD)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _raise_if_cancelled()
                if not isinstance(exc, DriverError):
                    log.exception("modbus_poll_crashed", extra={"fields": {"device": self.id}})
                self._set_offline(str(exc) or type(exc).__name__)
                delay = backoff_delay(
                    failures, self.config.reconnect_min_s, self.config.reconnect_max_s, self._rng
                )
                failures += 1
                await asyncio.sleep(delay)
                continue
            _raise_if_cancelled()
            failures = 0
            self._set_online()
            self._seen = True
            self._report(self._ctx.emit, readings)
            await asyncio.sleep(max(0.0, started + self.config.poll_interval_s - loop.time()))

    def _report(self, call: Callable[[T], None], arg: T) -> None:
        """Hand something to the runtime; its failure is its bug, not this device's outage."""
        try:
            call(arg)
        except Exception:
            log.exception("modbus_context_failed", extra={"fields": {"device": self.id}})

    def _set_online(self) -> None:
        if self._online is not True:
            self._online = True
            self._report(self._ctx.set_status, DeviceStatus(self.id, online=True))
            event(log, "modbus_device_online", device=self.id, link=str(self.link.key))

    def _set_offline(self, reason: str) -> None:
        if self._online is not False:
            self._online = False
            self._report(self._ctx.set_status, DeviceStatus(self.id, online=False, reason=reason))
            event(log, "modbus_device_offline", logging.WARNING, device=self.id, reason=reason)

    # -- control -----------------------------------------------------------------------------
    async def write(self, point: str, value: float) -> float:
        rp = self._points.get(point)
        if rp is None:
            if not self._points:
                raise DeviceUnavailableError(f"{self.id}: not interviewed yet (device offline?)")
            known = ", ".join(
                sorted(n for n, p in self._points.items() if p.point.direction.writable)
            )
            raise UnknownPointError(f"{self.id}: no point {point!r} (writable: {known or 'none'})")
        if not rp.point.direction.writable:
            raise DriverError(f"{self.id}.{point} is read-only")
        lo, hi = rp.point.min, rp.point.max
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise DriverError(f"{self.id}.{point}: {value} outside the point's limits {lo}..{hi}")
        sf: int | None = 0
        if rp.sf_address is not None:
            # Scale factors may change at run time; encode with the one the device uses now.
            image = RegisterImage()
            image.put(
                RegisterType.HOLDING,
                rp.sf_address,
                await self._read(RegisterType.HOLDING, rp.sf_address, 1),
            )
            sf = rp.scale_factor(image)
            if sf is None:
                raise DriverError(f"{self.id}.{point}: the device reports no usable scale factor")
        try:
            words, applied = rp.encode(value, sf)
        except EncodeError as exc:
            raise DriverError(f"{self.id}: {exc}") from None
        await self.link.write(self.config.unit_id, rp.register, rp.address, words)
        event(log, "modbus_write", device=self.id, point=point, value=value, applied=applied)
        return applied
