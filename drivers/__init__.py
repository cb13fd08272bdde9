"""Device drivers, one subpackage per protocol, all behind the contract in ``base.py``.

Drivers are found through the ``flexcoop.drivers`` entry-point group, so an out-of-tree package
adds a protocol by declaring an entry point; nothing here lists them by hand.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from flexcoop.drivers.base import Driver


class UnknownDriverError(LookupError):
    pass


@cache
def available_drivers() -> dict[str, str]:
    """Driver name → ``module:Class`` reference, without importing any driver."""
    return {ep.name: ep.value for ep in entry_points(group="flexcoop.drivers")}


def load_driver(name: str) -> type[Driver]:
    for ep in entry_points(group="flexcoop.drivers"):
        if ep.name == name:
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, Driver)):
                raise TypeError(f"entry point {ep.value} is not a flexcoop Driver")
            return cls
    known = ", ".join(sorted(available_drivers())) or "none installed"
    raise UnknownDriverError(f"unknown driver {name!r} (available: {known})")
