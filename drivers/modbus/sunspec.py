"""SunSpec discovery: find the "SunS" marker, walk the model chain, keep what is implemented."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flexcoop.drivers.base import DriverError
from flexcoop.drivers.modbus.codec import RegisterType, decode_string
from flexcoop.drivers.modbus.link import ModbusReplyError
from flexcoop.drivers.modbus.mapping import Reader, RegisterImage, RegisterPoint, Span, read_image
from flexcoop.drivers.modbus.sunspec_models import (
    COMMON,
    DEFAULT_BASES,
    END_MODEL_ID,
    MODELS,
    SUNS_MARKER,
    ModelInstance,
    device_kind,
    point_names,
)
from flexcoop.edge.model import DeviceKind

MAX_MODELS = 64  # a real device has a handful; a chain longer than this is corrupt


class NotSunSpecError(DriverError):
    """No SunSpec marker, or a model chain that cannot be walked."""


@dataclass(frozen=True, slots=True)
class SunSpecDevice:
    base: int
    models: tuple[ModelInstance, ...]
    kind: DeviceKind
    manufacturer: str
    model: str
    serial: str
    version: str
    points: tuple[RegisterPoint, ...]  # implemented, named points only

    @property
    def model_ids(self) -> list[int]:
        return [m.model_id for m in self.models]


async def find_base(read: Reader, bases: Sequence[int] = DEFAULT_BASES) -> int:
    for base in bases:
        try:
            words = await read(RegisterType.HOLDING, base, 2)
        except ModbusReplyError as exc:
            if exc.request_rejected:  # nothing mapped there: try the next base
                continue
            raise
        if tuple(words) == SUNS_MARKER:
            return base
    raise NotSunSpecError(f"no SunSpec marker 'SunS' at register {', '.join(map(str, bases))}")


async def read_chain(read: Reader, base: int) -> list[ModelInstance]:
    chain: list[ModelInstance] = []
    address = base + 2
    for _ in range(MAX_MODELS):
        model_id, length = await read(RegisterType.HOLDING, address, 2)
        if model_id == END_MODEL_ID:
            return chain
        if address + 2 + length > 0x10000:
            raise NotSunSpecError(f"model {model_id} at {address} runs past register 65535")
        chain.append(ModelInstance(model_id, address, length))
        address += 2 + length
    raise NotSunSpecError(f"no end of the model chain after {MAX_MODELS} models")


async def interview(read: Reader, bases: Sequence[int] = DEFAULT_BASES) -> SunSpecDevice:
    base = await find_base(read, bases)
    chain = await read_chain(read, base)
    known = [m for m in chain if m.model_id in MODELS]
    image = await read_image(
        read, [Span(RegisterType.HOLDING, m.address, m.length + 2) for m in known]
    )
    names = point_names(chain)
    points: list[RegisterPoint] = []
    for inst, inst_names in zip(chain, names, strict=True):
        definition = inst.definition
        if definition is None:
            continue
        bound = definition.bind(inst.address, inst_names, inst.length)
        # A device says "not implemented" with sentinel values; such points are left out.
        points.extend(
            rp for pid, rp in bound.items() if pid in inst_names and rp.decode(image) is not None
        )
    common = next((m for m in chain if m.model_id == COMMON.id), None)
    strings = _common_strings(image, common) if common else {}
    return SunSpecDevice(
        base=base,
        models=tuple(chain),
        kind=device_kind([m.model_id for m in chain]),
        manufacturer=strings.get("Mn", ""),
        model=strings.get("Md", ""),
        serial=strings.get("SN", ""),
        version=strings.get("Vr", ""),
        points=tuple(points),
    )


def _common_strings(image: RegisterImage, inst: ModelInstance) -> dict[str, str]:
    out = {}
    for p in COMMON.points:
        if p.type.value == "string" and COMMON.fits(p, inst.length):
            out[p.id] = decode_string(
                image.words(RegisterType.HOLDING, inst.address + p.offset, p.size)
            )
    return out
