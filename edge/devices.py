"""The device registry: what devices the box has, their points, latest values and liveness.

It is the single gate for writes: every ``Command`` is checked against the point's direction,
unit and limits, then against any registered ``WriteGuard`` (comfort bounds from DFP, contract
limits from LDEM, …) before the owning driver sees it. Rejections are returned, logged, published
on the bus and recorded by the runtime — never silently dropped, never sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flexcoop.drivers.base import DeviceConfig, Driver, DriverError
from flexcoop.edge.bus import Bus
from flexcoop.edge.model import (
    Command,
    CommandResult,
    DeviceInfo,
    DeviceStatus,
    Point,
    Reading,
)
from flexcoop.logs import event, get_logger
from flexcoop.units import UnitError, convert

log = get_logger(__name__)

# A guard returns None to allow the write or a human-readable reason to reject it.
WriteGuard = Callable[[DeviceInfo, Point, float], str | None]


@dataclass(slots=True)
class DeviceEntry:
    config: DeviceConfig
    driver: Driver
    info: DeviceInfo
    status: DeviceStatus | None = None


class DeviceRegistry:
    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._devices: dict[str, DeviceEntry] = {}
        self._latest: dict[tuple[str, str], Reading] = {}
        self._guards: list[WriteGuard] = []

    # -- membership ------------------------------------------------------------------------
    def add(self, config: DeviceConfig, driver: Driver) -> None:
        info = DeviceInfo(id=config.id, driver=config.driver)
        self._devices[config.id] = DeviceEntry(config=config, driver=driver, info=info)

    def remove(self, device_id: str) -> None:
        self._devices.pop(device_id, None)
        for key in [k for k in self._latest if k[0] == device_id]:
            del self._latest[key]

    def describe(self, info: DeviceInfo) -> None:
        entry = self._devices.get(info.id)
        if entry is None:
            event(log, "describe_unknown_device", device=info.id)
            return
        entry.info = info

    def set_status(self, status: DeviceStatus) -> None:
        entry = self._devices.get(status.device)
        if entry is not None:
            entry.status = status

    def observe(self, readings: Iterable[Reading]) -> None:
        for r in readings:
            self._latest[(r.device, r.point)] = r

    # -- queries ---------------------------------------------------------------------------
    def devices(self) -> list[DeviceInfo]:
        return [e.info for e in self._devices.values()]

    def get(self, device_id: str) -> DeviceEntry | None:
        return self._devices.get(device_id)

    def status(self, device_id: str) -> DeviceStatus | None:
        entry = self._devices.get(device_id)
        return entry.status if entry else None

    def latest(self, device_id: str | None = None) -> list[Reading]:
        return [r for (d, _), r in self._latest.items() if device_id is None or d == device_id]

    def latest_value(self, device_id: str, point: str) -> Reading | None:
        return self._latest.get((device_id, point))

    # -- writes ----------------------------------------------------------------------------
    def add_guard(self, guard: WriteGuard) -> None:
        self._guards.append(guard)

    def check(self, cmd: Command) -> tuple[float, str | None]:
        """The canonical value of ``cmd`` and the reason to reject it (None when allowed)."""
        entry = self._devices.get(cmd.device)
        if entry is None:
            return cmd.value, f"unknown device {cmd.device!r}"
        point = entry.info.points.get(cmd.point)
        if point is None:
            return cmd.value, f"device {cmd.device!r} has no point {cmd.point!r}"
        if not point.direction.writable:
            return cmd.value, f"point {cmd.device}.{cmd.point} is read-only"
        try:
            value = convert(cmd.value, cmd.unit, point.unit)
        except UnitError as exc:
            return cmd.value, f"unit: {exc} (point unit is {point.unit.value!r})"
        if value != value:  # NaN compares unequal to itself
            return value, "value is not a number"
        if point.min is not None and value < point.min:
            return value, f"{value:g} {point.unit.value} below minimum {point.min:g}"
        if point.max is not None and value > point.max:
            return value, f"{value:g} {point.unit.value} above maximum {point.max:g}"
        for guard in self._guards:
            reason = guard(entry.info, point, value)
            if reason:
                return value, reason
        return value, None

    async def write(self, cmd: Command) -> CommandResult:
        value, reason = self.check(cmd)
        if reason is None:
            entry = self._devices[cmd.device]
            try:
                applied = await entry.driver.write(cmd.device, cmd.point, value)
            except DriverError as exc:
                reason = f"driver: {exc}"
            except Exception as exc:  # a driver bug must not take the caller down
                log.exception("driver_write_failed", extra={"fields": {"device": cmd.device}})
                reason = f"driver failure: {type(exc).__name__}"
            else:
                result = CommandResult(cmd, accepted=True, applied_value=applied)
                event(
                    log,
                    "write_applied",
                    device=cmd.device,
                    point=cmd.point,
                    value=applied,
                    source=cmd.source,
                )
                self._bus.publish(result)
                return result
        result = CommandResult(cmd, accepted=False, reason=reason)
        event(
            log,
            "write_rejected",
            device=cmd.device,
            point=cmd.point,
            value=cmd.value,
            unit=cmd.unit,
            source=cmd.source,
            reason=reason,
        )
        self._bus.publish(result)
        return result
