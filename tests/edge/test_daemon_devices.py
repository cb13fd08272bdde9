"""The daemon end to end over real Modbus/SunSpec servers: readings, checked writes, faults.

Each test runs the real ``OsbDaemon`` (store, registry, Modbus driver, local HTTP API) against
pymodbus servers on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from flexcoop.config import parse_config
from flexcoop.edge.runtime import OsbDaemon
from flexcoop.hardware.virtual.sunspec_server import SunSpecUnit, VirtualModbusServer


class Inverter:
    """A SunSpec PV inverter (models 103 + 123) whose values the test controls."""

    def __init__(self) -> None:
        self.values: dict[str, float] = {
            "power_w": 2500.0,
            "energy_wh": 1_000_000.0,
            "frequency_hz": 50.0,
        }
        self.writes: list[tuple[str, float]] = []

    def unit(self) -> SunSpecUnit:
        return SunSpecUnit([103, 123], lambda: self.values, self.writes_append)

    def writes_append(self, point: str, value: float) -> None:
        self.writes.append((point, value))


def _config(tmp_path: Path, ports: dict[str, int]) -> Any:
    devices = [
        {
            "id": dev,
            "driver": "modbus",
            "host": "127.0.0.1",
            "port": port,
            "poll_interval_s": 0.1,
            "timeout_s": 0.5,
            "reconnect_min_s": 0.05,
            "reconnect_max_s": 0.2,
        }
        for dev, port in ports.items()
    ]
    return parse_config(
        {
            "store": {"data_dir": str(tmp_path / "data")},
            "api": {"host": "127.0.0.1", "port": 0},
            "devices": devices,
        }
    )


async def until(cond: Callable[[], object], timeout_s: float = 20.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not cond():  # noqa: ASYNC110 - polls daemon state the test does not own
            await asyncio.sleep(0.05)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_readings_flow_to_store_api_and_writes_are_checked(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    inv = Inverter()
    async with VirtualModbusServer([inv.unit()]) as server:
        async with OsbDaemon(_config(tmp_path, {"pv": server.port})) as daemon:
            await until(lambda: daemon.registry.latest_value("pv", "power_w"))
            base = f"http://127.0.0.1:{daemon.api_port}/api/v1"
            async with http.get(f"{base}/devices/pv") as resp:
                device = await resp.json()
            assert device["kind"] == "pv_inverter" and device["online"] is True
            points = {p["point"]["name"]: p for p in device["points"]}
            assert points["power_w"]["latest"]["value"] == pytest.approx(2500.0, rel=1e-3)
            assert points["power_w"]["point"]["unit"] == "W"

            url = f"{base}/devices/pv/points/power_limit_pct/write"
            rejected = [
                ({"value": 150, "unit": "%"}, "above maximum"),
                ({"value": 50, "unit": "kWh"}, "cannot convert"),
                ({"value": 50, "unit": "furlong"}, "unknown unit"),
            ]
            for body, reason in rejected:
                async with http.post(url, json=body) as resp:
                    assert resp.status == 422
                    assert reason in (await resp.text())
            async with http.post(
                f"{base}/devices/pv/points/power_w/write", json={"value": 1, "unit": "W"}
            ) as resp:
                assert resp.status == 422 and "read-only" in await resp.text()
            assert inv.writes == [], "a rejected write must never reach the device"

            async with http.post(url, json={"value": 40, "unit": "%"}) as resp:
                assert resp.status == 200, await resp.text()
                assert (await resp.json())["applied_value"] == pytest.approx(40)
            assert ("power_limit_pct", pytest.approx(40)) in inv.writes

            # Rejections the registry saw (the unknown unit is refused by the API before it)
            # are journaled by the daemon in the background.
            async with asyncio.timeout(20):
                while True:
                    async with http.get(f"{base}/events", params={"kind": "write_rejected"}) as r:
                        journal = (await r.json())["items"]
                    if len(journal) >= 3:
                        break
                    await asyncio.sleep(0.05)
            reasons = sorted(e["data"]["reason"] for e in journal)
            assert len(reasons) == 3
            assert "above maximum" in reasons[0] and "read-only" in reasons[1]
            assert reasons[2].startswith("unit:")
            await daemon.store.flush()
            async with http.get(f"{base}/devices/pv/points/power_w/history") as resp:
                history = await resp.json()
            assert len(history["readings"]) >= 1 and history["unit"] == "W"


async def test_vanished_device_is_marked_and_resumes_and_never_stops_others(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    inv, other = Inverter(), Inverter()
    other.values["power_w"] = 111.0
    server = VirtualModbusServer([inv.unit()])
    await server.start()
    async with VirtualModbusServer([other.unit()]) as steady:
        # A third device nobody answers for: its driver loop must fail alone.
        config = _config(tmp_path, {"pv": server.port, "pv2": steady.port, "ghost": 1})
        async with OsbDaemon(config) as daemon:
            await until(lambda: daemon.registry.latest_value("pv", "power_w"))
            port = server.port
            await server.stop()
            await until(lambda: (s := daemon.registry.status("pv")) and not s.online)
            before = daemon.registry.latest_value("pv2", "power_w")
            await asyncio.sleep(0.5)
            after = daemon.registry.latest_value("pv2", "power_w")
            assert before is not None and after is not None and after.ts > before.ts

            inv.values["power_w"] = 3000.0
            server = VirtualModbusServer([inv.unit()], port=port)
            await server.start()
            await until(
                lambda: (
                    (r := daemon.registry.latest_value("pv", "power_w"))
                    and r.value == pytest.approx(3000.0, rel=1e-3)
                )
            )
            await daemon.store.flush()
            base = f"http://127.0.0.1:{daemon.api_port}/api/v1"
            async with http.get(f"{base}/devices/pv/points/power_w/history") as resp:
                history = await resp.json()
            assert len(history["gaps"]) >= 1, "the outage must show as a gap"
            async with http.get(f"{base}/health") as resp:
                health = await resp.json()
            assert health["devices"]["configured"] == 3
            assert await daemon.store.events(kind="device_offline", device="ghost")
            await server.stop()


async def test_unwritable_data_dir_is_reported_and_control_goes_on(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    inv = Inverter()
    async with VirtualModbusServer([inv.unit()]) as server:
        config = _config(tmp_path, {"pv": server.port})
        config.store.data_dir.write_text("the data partition is not mounted")
        async with OsbDaemon(config) as daemon:
            await until(lambda: daemon.registry.latest_value("pv", "power_w"))
            base = f"http://127.0.0.1:{daemon.api_port}/api/v1"
            async with http.get(f"{base}/health") as resp:
                health = await resp.json()
            assert health["ok"] is False and health["store"]["writable"] is False
            assert health["store"]["error"]
            async with http.post(
                f"{base}/devices/pv/points/power_limit_pct/write", json={"value": 70, "unit": "%"}
            ) as resp:
                assert resp.status == 200, await resp.text()
            assert ("power_limit_pct", pytest.approx(70)) in inv.writes
            async with http.get(f"{base}/devices/pv") as resp:
                assert (await resp.json())["online"] is True
