"""Modbus TCP servers for the virtual home: SunSpec devices and template-described devices.

Both encode from the driver's own tables (``sunspec_models``, TOML templates) through the same
``RegisterPoint`` codec, so what a server serves is by construction what the driver decodes.
Values come from a provider callable (point name → canonical value) consulted on every read;
writes are decoded and handed to ``on_write(point, value)``, which may raise ``ValueError`` to
reject them (the client then gets ILLEGAL DATA VALUE and the register keeps its old value).
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Self, cast

from pymodbus.constants import ExcCodes
from pymodbus.framer import FramerType
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType as SimType
from pymodbus.simulator import SimData, SimDevice

from flexcoop.drivers.modbus.codec import EncodeError, RegisterType, encode, encode_string
from flexcoop.drivers.modbus.mapping import RegisterImage, RegisterPoint
from flexcoop.drivers.modbus.sunspec_models import (
    COMMON,
    END_MODEL_ID,
    MODELS,
    SUNS_MARKER,
    ModelInstance,
    SunSpecType,
    point_names,
)
from flexcoop.drivers.modbus.templates import ModbusTemplate, resolve_template
from flexcoop.logs import event, get_logger

log = get_logger(__name__)

Provider = Callable[[], Mapping[str, float]]
WriteHandler = Callable[[str, float], None]

# Function code → the register space it addresses.
_SPACE = {
    1: RegisterType.COIL,
    5: RegisterType.COIL,
    15: RegisterType.COIL,
    2: RegisterType.DISCRETE,
    3: RegisterType.HOLDING,
    6: RegisterType.HOLDING,
    16: RegisterType.HOLDING,
    4: RegisterType.INPUT,
}


class ServedUnit(ABC):
    """One Modbus unit (slave id) a server answers for."""

    unit_id: int

    @abstractmethod
    def simdevice(self) -> SimDevice: ...


def _accept_write(
    points: Sequence[RegisterPoint],
    decode_from: RegisterImage,
    held: dict[str, float],
    on_write: WriteHandler | None,
    unit: str,
) -> ExcCodes | None:
    """Decode written points, check limits, hand them on; an exception code rejects the write."""
    updates: dict[str, float] = {}
    for rp in points:
        value = rp.decode(decode_from)
        lo, hi = rp.point.min, rp.point.max
        if value is None or (lo is not None and value < lo) or (hi is not None and value > hi):
            event(log, "virtual_modbus_write_rejected", unit=unit, point=rp.point.name, value=value)
            return ExcCodes.ILLEGAL_VALUE
        updates[rp.point.name] = value
    for name, value in updates.items():
        if on_write is not None:
            try:
                on_write(name, value)
            except ValueError as exc:
                event(log, "virtual_modbus_write_rejected", unit=unit, point=name, reason=str(exc))
                return ExcCodes.ILLEGAL_VALUE
        held[name] = value
    return None


def _runs(flags: Sequence[bool]) -> list[tuple[int, int, bool]]:
    """(start, length, flag) of each run of equal flags."""
    runs: list[tuple[int, int, bool]] = []
    for i, flag in enumerate(flags):
        if runs and runs[-1][2] == flag:
            start, length, _ = runs[-1]
            runs[-1] = (start, length + 1, flag)
        else:
            runs.append((i, 1, flag))
    return runs


# What a freshly powered inverter or battery holds in its control registers.
CONTROL_DEFAULTS: dict[str, float] = {
    "connected": 1,
    "power_limit_pct": 100,
    "power_limit_enabled": 0,
    "power_limit_revert_s": 0,
    "storage_control_mode": 0,
    "min_reserve_pct": 10,
    "charge_rate_pct": 100,
    "discharge_rate_pct": 100,
    "grid_charging": 0,
}


@dataclass(frozen=True)
class CommonInfo:
    """What SunSpec model 1 says about a device."""

    manufacturer: str = "flexcoop"
    model: str = "virtual"
    serial: str = "0001"
    version: str = "1.0"
    options: str = ""


class SunSpecUnit(ServedUnit):
    """A SunSpec device: "SunS", model 1, the given models, end marker, from ``base``.

    ``provider`` returns values by the canonical point names the driver will use (see
    ``sunspec_models.point_names``); points it does not return are served as "not implemented"
    unless a write set them; control points start at ``CONTROL_DEFAULTS`` updated with
    ``initial``. ``scale_factors`` overrides the tables' default SFs, by SunSpec SF
    id (``{"W_SF": -1}``) or for one model (``{"103.W_SF": -1}``).
    """

    def __init__(
        self,
        models: Sequence[int],
        provider: Provider,
        on_write: WriteHandler | None = None,
        *,
        unit_id: int = 1,
        base: int = 40000,
        common: CommonInfo | None = None,
        scale_factors: Mapping[str, int] | None = None,
        initial: Mapping[str, float] | None = None,
    ) -> None:
        unknown = [m for m in models if m not in MODELS]
        if unknown:
            raise ValueError(f"no table for SunSpec model(s) {unknown} (known: {sorted(MODELS)})")
        self.unit_id = unit_id
        self.base = base
        self._provider = provider
        self._on_write = on_write
        self._common = common or CommonInfo()
        self._sf = dict(scale_factors or {})
        ids = [COMMON.id, *(m for m in models if m != COMMON.id)]
        sf_ids = {
            key
            for m in ids
            for p in MODELS[m].points
            if p.type is SunSpecType.SUNSSF
            for key in (p.id, f"{m}.{p.id}")
        }
        if stray := sorted(set(self._sf) - sf_ids):
            raise ValueError(f"scale_factors: no such SF point in models {ids}: {stray}")
        address = base + 2
        self.instances: list[ModelInstance] = []
        for model_id in ids:
            self.instances.append(ModelInstance(model_id, address, MODELS[model_id].length))
            address += 2 + MODELS[model_id].length
        self.end = address + 2
        self.names = point_names(self.instances)
        self._bound = [
            MODELS[inst.model_id].bind(inst.address, names)
            for inst, names in zip(self.instances, self.names, strict=True)
        ]
        self._writable = [
            rp for bound in self._bound for rp in bound.values() if rp.point.direction.writable
        ]
        defaults = {**CONTROL_DEFAULTS, **(initial or {})}
        self._held: dict[str, float] = {
            rp.point.name: defaults[short]
            for rp in self._writable
            if (short := rp.point.name.rsplit(".", 1)[-1]) in defaults
        }
        self._fixed, self._valued = self._layout()

    @property
    def point_names(self) -> list[str]:
        """Canonical names of every exposed point, as the driver will see them."""
        return [name for names in self.names for name in names.values()]

    def _scale_factor(self, model_id: int, sf_id: str) -> int:
        default = MODELS[model_id].point(sf_id).sf_default
        return self._sf.get(f"{model_id}.{sf_id}", self._sf.get(sf_id, default))

    def _layout(self) -> tuple[list[int], list[tuple[int, RegisterPoint, int]]]:
        """Registers that never change (marker, headers, strings, SFs, "not implemented"
        everywhere), and where each numeric point goes with the SF it is encoded with."""
        regs = [0] * (self.end - self.base)
        regs[0:2] = SUNS_MARKER
        valued: list[tuple[int, RegisterPoint, int]] = []
        for inst, bound in zip(self.instances, self._bound, strict=True):
            definition = MODELS[inst.model_id]
            at = inst.address - self.base
            regs[at : at + 2] = [inst.model_id, inst.length]
            for p in definition.points:
                off = at + p.offset
                if p.type is SunSpecType.STRING:
                    regs[off : off + p.size] = encode_string(self._common_string(p.id), p.size)
                elif p.type is SunSpecType.SUNSSF:
                    regs[off] = encode(self._scale_factor(inst.model_id, p.id), p.dtype)[0]
                elif p.type is SunSpecType.PAD:
                    regs[off] = 0x8000
                elif p.id in bound:
                    rp = bound[p.id]
                    regs[off : off + p.registers] = encode(rp.sentinel or 0, rp.dtype)
                    sf = 0 if p.sf is None else self._scale_factor(inst.model_id, p.sf)
                    valued.append((off, rp, sf))
        regs[-2:] = [END_MODEL_ID, 0]
        return regs, valued

    def image(self) -> list[int]:
        """Every register from ``base`` to the end marker, with current values."""
        regs = list(self._fixed)
        values = {**self._held, **self._provider()}
        for off, rp, sf in self._valued:
            value = values.get(rp.point.name)
            if value is None:
                continue
            try:
                regs[off : off + rp.count] = rp.encode(value, sf)[0]
            except EncodeError:
                # A physical value the register cannot hold stays "not implemented" rather
                # than wrapping around.
                continue
        return regs

    def _common_string(self, point_id: str) -> str:
        c = self._common
        return {
            "Mn": c.manufacturer,
            "Md": c.model,
            "Opt": c.options,
            "Vr": c.version,
            "SN": c.serial,
        }.get(point_id, "")

    def simdevice(self) -> SimDevice:
        regs = self.image()
        writable = [False] * len(regs)
        for rp in self._writable:
            for i in range(rp.count):
                writable[rp.address - self.base + i] = True
        simdata = [
            SimData(
                self.base + start,
                values=regs[start : start + length],
                datatype=SimType.REGISTERS,
                readonly=not flag,
            )
            for start, length, flag in _runs(writable)
        ]
        return SimDevice(self.unit_id, simdata=simdata, action=self._action)

    async def _action(
        self,
        function_code: int,
        start: int,
        address: int,
        count: int,
        registers: list[int],
        values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        at = self.base - start
        if values is None:
            image = self.image()
            registers[at : at + len(image)] = image
            return None
        written = RegisterImage()
        written.put(RegisterType.HOLDING, start, registers)
        written.put(RegisterType.HOLDING, address, [int(v) for v in values])
        touched = [
            rp
            for rp in self._writable
            if rp.address < address + len(values) and address < rp.address + rp.count
        ]
        return _accept_write(touched, written, self._held, self._on_write, f"unit {self.unit_id}")


class TemplateUnit(ServedUnit):
    """A device served from a TOML template's register map (the driver reads the same file)."""

    def __init__(
        self,
        template: ModbusTemplate | str,
        provider: Provider,
        on_write: WriteHandler | None = None,
        *,
        unit_id: int = 1,
    ) -> None:
        self.template = resolve_template(template) if isinstance(template, str) else template
        self.unit_id = unit_id
        self._provider = provider
        self._on_write = on_write
        self._points = self.template.register_points()
        self._held: dict[str, float] = {}

    def _values(self) -> dict[str, float]:
        return {**self._held, **self._provider()}

    def _words(self, rp: RegisterPoint, values: Mapping[str, float]) -> list[int]:
        try:
            return rp.encode(values.get(rp.point.name, 0.0))[0]
        except EncodeError:
            # Templates have no "not implemented" value; a value the map cannot hold reads 0.
            return [0] * rp.count

    def simdevice(self) -> SimDevice:
        blocks: dict[RegisterType, list[SimData]] = {t: [] for t in RegisterType}
        for rp in self._points:
            if rp.register.is_bit:
                data = SimData(rp.address, values=[False], datatype=SimType.BITS)
            else:
                data = SimData(
                    rp.address,
                    values=[0] * rp.count,
                    datatype=SimType.REGISTERS,
                    readonly=not rp.point.direction.writable,
                )
            blocks[rp.register].append(data)
        # pymodbus needs every space to hold something; park a never-mapped entry at the top.
        for space, entries in blocks.items():
            if not entries:
                if space.is_bit:
                    entries.append(SimData(65520, values=[False], datatype=SimType.BITS))
                else:
                    entries.append(SimData(65535, datatype=SimType.INVALID))
        return SimDevice(
            self.unit_id,
            simdata=(
                blocks[RegisterType.COIL],
                blocks[RegisterType.DISCRETE],
                blocks[RegisterType.HOLDING],
                blocks[RegisterType.INPUT],
            ),
            action=self._action,
        )

    async def _action(
        self,
        function_code: int,
        start: int,
        address: int,
        count: int,
        registers: list[int],
        values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        space = _SPACE[function_code]
        points = [rp for rp in self._points if rp.register is space]
        if values is None:
            current = self._values()
            for rp in points:
                words = self._words(rp, current)
                if space.is_bit:
                    reg, bit = divmod(rp.address, 16)
                    mask = 1 << bit
                    i = reg - start
                    registers[i] = (registers[i] | mask) if words[0] else (registers[i] & ~mask)
                else:
                    registers[rp.address - start : rp.address - start + rp.count] = words
            return None
        written = RegisterImage()
        if space.is_bit:
            written.put(space, address, [int(bool(v)) for v in values])
        else:
            written.put(space, start, registers)
            written.put(space, address, [int(v) for v in values])
        touched = [
            rp
            for rp in points
            if rp.address < address + len(values) and address < rp.address + rp.count
        ]
        return _accept_write(touched, written, self._held, self._on_write, self.template.name)


class VirtualModbusServer:
    """A pymodbus TCP server on ``host`` (port 0: any free port) answering for ``units``.

    Requests for other unit ids get exception 4 (server device failure).

    ``framer="rtu"`` speaks RTU framing over the TCP socket, which a serial client reaches as
    ``socket://host:port``: the RTU code path without a serial port.
    """

    def __init__(
        self,
        units: Sequence[ServedUnit],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        framer: Literal["socket", "rtu"] = "socket",
    ) -> None:
        ids = [u.unit_id for u in units]
        if not units or len(set(ids)) != len(ids) or 0 in ids:
            raise ValueError(f"units need distinct, non-zero unit ids (got {ids})")
        self.units = list(units)
        self.host = host
        self.port = port
        self._framer = FramerType.RTU if framer == "rtu" else FramerType.SOCKET
        self._server: ModbusTcpServer | None = None

    async def start(self) -> None:
        if self._server is not None:
            return
        devices = [u.simdevice() for u in self.units]
        server = ModbusTcpServer(devices, address=(self.host, self.port), framer=self._framer)
        await server.serve_forever(background=True)
        self._server = server
        # The listener is an asyncio.Server; with port 0 only it knows the port it got.
        listener = cast(asyncio.Server, server.transport)
        self.port = listener.sockets[0].getsockname()[1]
        event(
            log,
            "virtual_modbus_server_started",
            host=self.host,
            port=self.port,
            units=[u.unit_id for u in self.units],
        )

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            await server.shutdown()
            event(log, "virtual_modbus_server_stopped", host=self.host, port=self.port)

    @property
    def running(self) -> bool:
        return self._server is not None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
