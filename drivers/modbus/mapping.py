"""Points bound to registers, and the batched reads that fetch them.

SunSpec models and TOML templates both compile to ``RegisterPoint``s, so polling, decoding and
writing have one implementation whatever described the device.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from flexcoop.drivers.modbus.codec import (
    DataType,
    EncodeError,
    RegisterType,
    WordOrder,
    decode,
    encode,
    raw_range,
    register_count,
)
from flexcoop.edge.model import Point

# SunSpec allows scale factors -10..10; anything else (0x8000 "not implemented", 0x7FFF from
# some firmwares) means the value cannot be scaled and is treated as not implemented.
SF_RANGE = (-10, 10)


# A reader fetches ``count`` registers (or bits, as 0/1) of one type from one unit.
Reader = Callable[[RegisterType, int, int], Awaitable[list[int]]]


@dataclass(frozen=True, slots=True)
class Span:
    register: RegisterType
    address: int
    count: int

    @property
    def end(self) -> int:
        return self.address + self.count


@dataclass(frozen=True, slots=True)
class RegisterPoint:
    """One point: where it lives, how it is encoded, how raw maps to its canonical unit.

    canonical value = raw × ``factor`` × 10^sf, where sf is read from ``sf_address`` (SunSpec)
    or 0 when the point has a fixed scale (templates fold their scale into ``factor``).
    """

    point: Point
    register: RegisterType
    address: int
    dtype: DataType
    order: WordOrder = WordOrder.BIG
    factor: float = 1.0
    sf_address: int | None = None
    sentinel: float | None = None  # decoded raw value that means "not implemented"

    @property
    def count(self) -> int:
        return 1 if self.register.is_bit else register_count(self.dtype)

    def spans(self) -> list[Span]:
        spans = [Span(self.register, self.address, self.count)]
        if self.sf_address is not None:
            spans.append(Span(RegisterType.HOLDING, self.sf_address, 1))
        return spans

    def scale_factor(self, image: RegisterImage) -> int | None:
        if self.sf_address is None:
            return 0
        sf = int(decode(image.words(RegisterType.HOLDING, self.sf_address, 1), DataType.INT16))
        return sf if SF_RANGE[0] <= sf <= SF_RANGE[1] else None

    def decode(self, image: RegisterImage) -> float | None:
        """Canonical value, or None when the device marks the point as not implemented."""
        words = image.words(self.register, self.address, self.count)
        if self.register.is_bit:
            return float(words[0])
        raw = self._raw(words)
        if (self.sentinel is not None and raw == self.sentinel) or math.isnan(raw):
            return None
        sf = self.scale_factor(image)
        if sf is None:
            return None
        return _clean(raw * self.factor * 10.0**sf)

    def encode(self, value: float, sf: int = 0) -> tuple[list[int], float]:
        """Registers to write for a canonical value, and the value the device will hold."""
        if self.register.is_bit:
            if value not in (0, 1):
                raise EncodeError(f"{self.point.name}: a bit takes 0 or 1, not {value}")
            return [int(value)], float(value)
        step = self.factor * 10.0**sf
        if self.dtype is DataType.FLOAT32:
            raw: float = value / step
        else:
            raw = round(value / step)
            lo, hi = raw_range(self.dtype)
            if not lo <= raw <= hi or raw == self.sentinel:
                raise EncodeError(
                    f"{self.point.name}: {value} {self.point.unit.value} is outside what the "
                    f"register can hold ({_clean(lo * step)}..{_clean(hi * step)})"
                )
        words = encode(raw, self.dtype, self.order)
        return words, _clean(self._raw(words) * step)

    def _raw(self, words: list[int]) -> float:
        raw = decode(words, self.dtype, self.order)
        if self.dtype is DataType.FLOAT32 and math.isfinite(raw):
            # A float32 carries ~7 significant digits: 21.3 is sent as 21.2999992…
            raw = float(f"{raw:.7g}")
        return raw


def _clean(value: float) -> float:
    """Strip binary noise from decimal scaling (3 × 0.1 → 0.3, not 0.30000000000000004).

    15 significant digits keep every 32-bit counter exact (an energy register is 10 digits).
    """
    return float(f"{value:.15g}")


@dataclass
class RegisterImage:
    """Registers and bits read in one poll, by type and address."""

    values: dict[RegisterType, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))

    def put(self, register: RegisterType, address: int, words: Iterable[int]) -> None:
        target = self.values[register]
        for i, word in enumerate(words):
            target[address + i] = int(word)

    def words(self, register: RegisterType, address: int, count: int) -> list[int]:
        """The registers asked for; KeyError if any was not read."""
        target = self.values[register]
        return [target[address + i] for i in range(count)]

    def has(self, span: Span) -> bool:
        target = self.values.get(span.register, {})
        return all(span.address + i in target for i in range(span.count))


def plan_reads(spans: Iterable[Span], max_gap: int = 0) -> list[Span]:
    """Merge spans into as few requests as possible.

    Spans of one register type are merged when the hole between them is at most ``max_gap``
    registers and the request stays within the protocol's size limit. Many devices reject
    reads that touch unmapped registers, so the default bridges no hole at all.
    """
    by_type: dict[RegisterType, list[Span]] = defaultdict(list)
    for span in spans:
        by_type[span.register].append(span)
    batches: list[Span] = []
    for register in RegisterType:
        current: Span | None = None
        for span in sorted(by_type.get(register, ()), key=lambda s: s.address):
            if current is not None:
                end = max(current.end, span.end)
                if span.address - current.end <= max_gap and end - current.address <= (
                    register.max_read
                ):
                    current = Span(register, current.address, end - current.address)
                    continue
                batches.append(current)
            current = span
        if current is not None:
            batches.append(current)
    return batches


async def read_image(read: Reader, spans: Iterable[Span], max_gap: int = 0) -> RegisterImage:
    """Read everything ``spans`` cover, in as few requests as ``plan_reads`` allows."""
    image = RegisterImage()
    for batch in plan_reads(spans, max_gap):
        image.put(
            batch.register, batch.address, await read(batch.register, batch.address, batch.count)
        )
    return image
