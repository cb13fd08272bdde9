"""The small contract every virtual device honours, and the shared write validation.

A ``VirtualDevice`` has a ``kind`` (a ``flexcoop.edge.model.DeviceKind`` value), reports its state
as ``values()`` (names carry their unit: ``power_w``, ``soc_pct``, ``indoor_temp_c``…) and accepts
writes to the points listed by ``writable()`` (name → inclusive (min, max)). A write outside the
limits, of an unknown or read-only point, or of a non-finite number raises ``ValueError`` with
the reason and changes nothing; an accepted write returns the value actually applied.
"""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable


@runtime_checkable
class VirtualDevice(Protocol):
    kind: str

    def values(self) -> dict[str, float]: ...

    def write(self, name: str, value: float) -> float: ...

    def writable(self) -> dict[str, tuple[float, float]]: ...


class WritablePoints:
    """Base for devices: validates writes against ``writable()`` before ``_apply`` sees them."""

    kind: str
    # Points that are switches or enumerations: only whole numbers make sense.
    integer_points: frozenset[str] = frozenset()

    def writable(self) -> dict[str, tuple[float, float]]:
        raise NotImplementedError

    def _apply(self, name: str, value: float) -> float:
        raise NotImplementedError

    def write(self, name: str, value: float) -> float:
        limits = self.writable()
        if name not in limits:
            known = ", ".join(sorted(limits)) or "none"
            raise ValueError(f"{self.kind}: {name!r} is not writable (writable points: {known})")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{self.kind}.{name}: {value!r} is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"{self.kind}.{name}: {value!r} is not a finite number")
        lo, hi = limits[name]
        if not lo <= number <= hi:
            raise ValueError(f"{self.kind}.{name}: {number:g} outside the allowed {lo:g} … {hi:g}")
        if name in self.integer_points and number != int(number):
            raise ValueError(f"{self.kind}.{name}: must be a whole number, got {number:g}")
        return self._apply(name, number)
