"""Register maps for devices that do not speak SunSpec, as validated TOML templates.

A template file has device keys (``kind``, ``manufacturer``, ``model``, ``word_order``,
``read_gap_max``) and one ``[[points]]`` table per point: ``name``, ``register``
(holding/input/coil/discrete), ``address`` (0-based protocol address), ``type``
(int16/uint16/int32/uint32/float32/bool), ``word_order``, ``scale`` (value = raw × scale, in
``unit``), ``unit`` (any symbol ``flexcoop.units`` knows; kW becomes W), ``direction`` and
``min``/``max`` (in ``unit``). Any error names the file and the key.
"""

from __future__ import annotations

import math
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from flexcoop.drivers.base import DeviceTemplate
from flexcoop.drivers.modbus.codec import DataType, RegisterType, WordOrder, register_count
from flexcoop.drivers.modbus.mapping import RegisterPoint
from flexcoop.edge.model import DeviceKind, Direction, Point
from flexcoop.units import UnitError, to_canonical

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


class TemplateError(ValueError):
    """A template that cannot be used; the message names the file and the key."""


class TemplatePoint(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")
    register_type: RegisterType = Field(RegisterType.HOLDING, alias="register")
    address: int = Field(ge=0, le=65535)
    type: DataType = DataType.UINT16
    word_order: WordOrder | None = None
    scale: float = 1.0
    unit: str = ""
    direction: Direction = Direction.READ
    min: float | None = None
    max: float | None = None
    description: str = ""

    @model_validator(mode="before")
    @classmethod
    def _bits_default_to_bool(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("register") in ("coil", "discrete"):
            data.setdefault("type", "bool")
        return data

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, v: str) -> str:
        try:
            to_canonical(1.0, v)
        except UnitError as exc:
            raise ValueError(str(exc)) from None
        return v

    @field_validator("scale")
    @classmethod
    def _usable_scale(cls, v: float) -> float:
        if v == 0 or not math.isfinite(v):
            raise ValueError("must be a finite, non-zero number")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> TemplatePoint:
        if self.type is DataType.STRING:
            raise ValueError("type: strings are not supported in templates")
        if self.register_type.is_bit and self.type is not DataType.BOOL:
            raise ValueError(
                f"type: {self.register_type.value} points are bool, not {self.type.value}"
            )
        if self.direction.writable and not self.register_type.writable:
            raise ValueError(f"direction: {self.register_type.value} registers are read-only")
        if self.address + self.count > 65536:
            raise ValueError("address: the value runs past register 65535")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} > max {self.max}")
        return self

    @property
    def count(self) -> int:
        return 1 if self.register_type.is_bit else register_count(self.type)


class TemplateFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    kind: DeviceKind = DeviceKind.OTHER
    manufacturer: str = ""
    model: str = ""
    description: str = ""
    word_order: WordOrder = WordOrder.BIG
    read_gap_max: int = Field(
        0, ge=0, le=124, description="unmapped registers one read may span (0: none)"
    )
    points: list[TemplatePoint] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_clashes(self) -> TemplateFile:
        seen: dict[str, int] = {}
        used: dict[tuple[RegisterType, int], str] = {}
        for i, p in enumerate(self.points):
            if p.name in seen:
                raise ValueError(
                    f"points[{i}].name: {p.name!r} already used by points[{seen[p.name]}]"
                )
            seen[p.name] = i
            for a in range(p.address, p.address + p.count):
                other = used.get((p.register_type, a))
                if other is not None:
                    raise ValueError(
                        f"points[{i}].address: {p.register_type.value} {a} overlaps point {other!r}"
                    )
                used[(p.register_type, a)] = p.name
        return self


class ModbusTemplate(DeviceTemplate):
    """A device template plus its register map (``registers``, keyed by point name)."""

    source: str
    word_order: WordOrder = WordOrder.BIG
    read_gap_max: int = 0
    registers: dict[str, TemplatePoint]

    def register_points(self) -> list[RegisterPoint]:
        out = []
        for point in self.points:
            spec = self.registers[point.name]
            unit_factor, _ = to_canonical(1.0, spec.unit)
            out.append(
                RegisterPoint(
                    point=point,
                    register=spec.register_type,
                    address=spec.address,
                    dtype=spec.type,
                    order=spec.word_order or self.word_order,
                    factor=spec.scale * unit_factor,
                )
            )
        return out


def _where(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_template(data: dict[str, Any], source: str) -> ModbusTemplate:
    """Validate a parsed template; TemplateError lists every problem as ``file: key: message``."""
    try:
        spec = TemplateFile.model_validate(data)
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
            key = _where(tuple(e["loc"]))
            lines.append(f"{source}: {key}: {msg}" if key else f"{source}: {msg}")
        raise TemplateError("\n".join(lines)) from None
    points = []
    for p in spec.points:
        factor, unit = to_canonical(1.0, p.unit)
        lo = None if p.min is None else p.min * factor
        hi = None if p.max is None else p.max * factor
        if p.type is DataType.BOOL:  # a bit is 0 or 1, whatever the file says
            lo, hi = max(lo or 0.0, 0.0), min(1.0 if hi is None else hi, 1.0)
        points.append(
            Point(
                name=p.name,
                unit=unit,
                direction=p.direction,
                min=lo,
                max=hi,
                description=p.description,
            )
        )
    return ModbusTemplate(
        name=spec.name or Path(source).stem,
        kind=spec.kind,
        manufacturer=spec.manufacturer,
        model=spec.model,
        points=points,
        source=source,
        word_order=spec.word_order,
        read_gap_max=spec.read_gap_max,
        registers={p.name: p for p in spec.points},
    )


def load_template(path: str | Path) -> ModbusTemplate:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{path}: invalid TOML: {exc}") from None
    return parse_template(data, str(path))


@cache
def builtin_templates() -> dict[str, ModbusTemplate]:
    """The templates shipped in ``templates/``, by name."""
    out = {}
    for path in sorted(TEMPLATE_DIR.glob("*.toml")):
        template = load_template(path)
        out[template.name] = template
    return out


def is_template_path(ref: str) -> bool:
    """Whether a template reference names a file (else: a shipped template's name)."""
    return ref.endswith(".toml") or "/" in ref


def resolve_template(ref: str) -> ModbusTemplate:
    """A shipped template by name, or a template file by path (``*.toml``)."""
    if is_template_path(ref):
        return load_template(ref)
    shipped = builtin_templates()
    try:
        return shipped[ref]
    except KeyError:
        known = ", ".join(sorted(shipped)) or "none"
        raise TemplateError(f"unknown template {ref!r} (shipped: {known})") from None
