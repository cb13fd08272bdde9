"""Modbus driver throughput: SunSpec devices polled as fast as the driver can.

Serves ``--devices`` SunSpec devices (inverter + controls, battery, meter in turn; five units
per pymodbus server, like gateways) on 127.0.0.1 and polls every one with
``poll_interval_s = --interval-s`` through ``ModbusDriver``. Servers and driver share one
process and one core, so the CPU figure is an upper bound for the driver alone. Prints JSON:
polls/s, readings/s, CPU ms per poll, and one SunSpec interview's duration.

    python bench/modbus_poll.py [--quick] [--devices 30] [--duration-s 20] [--interval-s 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from flexcoop.drivers.modbus import ModbusDeviceConfig, ModbusDriver
from flexcoop.edge.model import DeviceInfo, DeviceStatus, Reading
from flexcoop.hardware.virtual.sunspec_server import SunSpecUnit, VirtualModbusServer
from flexcoop.units import utcnow

KINDS = ([103, 123], [103, 124], [203])
PER_SERVER = 5


class _Counter:
    def __init__(self, devices: int) -> None:
        self.devices = devices
        self.all_described = asyncio.Event()
        self.polls = 0
        self.readings = 0
        self.described: dict[str, float] = {}
        self.offline = 0

    def emit(self, readings: Sequence[Reading]) -> None:
        self.polls += 1
        self.readings += len(readings)

    def now(self) -> datetime:
        return utcnow()

    def set_status(self, status: DeviceStatus) -> None:
        self.offline += not status.online

    def describe(self, info: DeviceInfo) -> None:
        self.described[info.id] = time.perf_counter()
        if len(self.described) == self.devices:
            self.all_described.set()


def _values(seed: int) -> Callable[[], dict[str, float]]:
    def values() -> dict[str, float]:
        t = time.monotonic()
        return {
            "power_w": 2000 + 1500 * math.sin(t + seed),
            "energy_wh": 1e6 + t,
            "frequency_hz": 50 + 0.02 * math.sin(t),
            "voltage_l1_v": 230.0,
            "soc_pct": 50.0,
        }

    return values


async def run(devices: int, duration_s: float, interval_s: float) -> list[dict[str, object]]:
    servers = []
    for first in range(0, devices, PER_SERVER):
        units = [
            SunSpecUnit(KINDS[i % len(KINDS)], _values(i), unit_id=i - first + 1)
            for i in range(first, min(first + PER_SERVER, devices))
        ]
        servers.append(VirtualModbusServer(units))
    for s in servers:
        await s.start()
    counter = _Counter(devices)
    try:
        async with ModbusDriver(counter, seed=1) as driver:
            added = time.perf_counter()
            for i in range(devices):
                config = ModbusDeviceConfig(
                    id=f"dev{i}",
                    driver="modbus",
                    host="127.0.0.1",
                    port=servers[i // PER_SERVER].port,
                    unit_id=i % PER_SERVER + 1,
                    poll_interval_s=interval_s,
                )
                await driver.add_device(config)
            await asyncio.wait_for(counter.all_described.wait(), 60)
            interview_s = (max(counter.described.values()) - added) / devices
            polls0, readings0 = counter.polls, counter.readings
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await asyncio.sleep(duration_s)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            polls, readings = counter.polls - polls0, counter.readings - readings0
    finally:
        for s in servers:
            await s.stop()
    common = {"devices": devices, "poll_interval_s": interval_s}
    return [
        {
            "figure": "modbus_polls_per_s",
            "value": round(polls / wall, 1),
            "unit": "polls/s",
            "n": polls,
            **common,
        },
        {
            "figure": "modbus_readings_per_s",
            "value": round(readings / wall, 1),
            "unit": "readings/s",
            "n": readings,
            **common,
        },
        {
            "figure": "modbus_cpu_per_poll",
            "value": round(1000 * cpu / max(polls, 1), 3),
            "unit": "ms",
            "n": polls,
            "includes": "servers and driver in one process",
            **common,
        },
        {
            "figure": "modbus_sunspec_interview",
            "value": round(1000 * interview_s, 2),
            "unit": "ms",
            "n": devices,
            "note": "mean per device, all interviewed concurrently",
            **common,
        },
        {
            "figure": "modbus_devices_offline",
            "value": counter.offline,
            "unit": "events",
            "n": devices,
            **common,
        },
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 devices for 2 s (smoke run)")
    parser.add_argument("--devices", type=int, default=30)
    parser.add_argument("--duration-s", type=float, default=20.0)
    parser.add_argument("--interval-s", type=float, default=0.05)
    args = parser.parse_args(argv)
    devices, duration = (6, 2.0) if args.quick else (args.devices, args.duration_s)
    logging.getLogger("pymodbus").setLevel(logging.ERROR)
    for figure in asyncio.run(run(devices, duration, args.interval_s)):
        print(json.dumps(figure))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
