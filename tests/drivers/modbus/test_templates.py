"""Template files and device configs: valid ones load, bad ones fail naming the file and key."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import pytest

import flexcoop.drivers.modbus as modbus_package
from flexcoop.config import ConfigError, load_config, parse_config
from flexcoop.drivers.modbus import ModbusDriver, TemplateError
from flexcoop.drivers.modbus.codec import DataType, RegisterType, WordOrder
from flexcoop.drivers.modbus.templates import load_template, parse_template, resolve_template
from flexcoop.edge.model import DeviceKind, Direction
from flexcoop.units import Unit


def test_shipped_templates_load_and_are_offered_by_the_driver() -> None:
    templates = ModbusDriver.templates()
    assert {"heat_pump_generic", "ev_charger_generic"} <= set(templates)
    hp = templates["heat_pump_generic"]
    assert hp.kind is DeviceKind.HEAT_PUMP
    setpoint = next(p for p in hp.points if p.name == "setpoint_c")
    assert (setpoint.unit, setpoint.direction, setpoint.min, setpoint.max) == (
        Unit.CELSIUS,
        Direction.READ_WRITE,
        5,
        30,
    )
    assert templates["ev_charger_generic"].kind is DeviceKind.EV_CHARGER


def test_units_are_converted_to_canonical_with_limits() -> None:
    t = parse_template(
        {
            "kind": "battery",
            "points": [
                {
                    "name": "limit_w",
                    "address": 0,
                    "scale": 0.01,
                    "unit": "kW",
                    "direction": "read_write",
                    "min": 0,
                    "max": 5,
                },
                {"name": "flag", "register": "coil", "address": 3},
                {
                    "name": "e",
                    "register": "input",
                    "address": 1,
                    "type": "uint32",
                    "word_order": "little",
                    "unit": "kWh",
                },
            ],
        },
        "inline.toml",
    )
    assert t.name == "inline"
    limit = t.points[0]
    assert (limit.unit, limit.min, limit.max) == (Unit.W, 0, 5000)
    rps = {rp.point.name: rp for rp in t.register_points()}
    assert rps["limit_w"].factor == pytest.approx(10.0)  # 0.01 kW per count = 10 W
    assert rps["flag"].dtype is DataType.BOOL and rps["flag"].register is RegisterType.COIL
    assert (rps["flag"].point.min, rps["flag"].point.max) == (0, 1)  # bits are 0 or 1
    assert rps["e"].order is WordOrder.LITTLE and rps["e"].factor == 1000.0


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([{"name": "p", "address": 0, "typo": 1}], "points[0].typo: unknown key"),
        ([{"name": "p", "address": 0, "type": "int128"}], "points[0].type: Input should be"),
        (
            [{"name": "p", "address": 0, "unit": "furlong"}],
            "points[0].unit: Value error, unknown unit 'furlong'",
        ),
        (
            [{"name": "p", "address": 70000}],
            "points[0].address: Input should be less than or equal to 65535",
        ),
        (
            [{"name": "p", "register": "input", "address": 0, "direction": "read_write"}],
            "input registers are read-only",
        ),
        (
            [{"name": "p", "register": "coil", "address": 0, "type": "int16"}],
            "coil points are bool",
        ),
        (
            [{"name": "p", "address": 0, "scale": 0}],
            "points[0].scale: Value error, must be a finite, non-zero",
        ),
        (
            [{"name": "p", "address": 0, "type": "uint32"}, {"name": "q", "address": 1}],
            "points[1].address: holding 1 overlaps point 'p'",
        ),
        (
            [{"name": "p", "address": 0}, {"name": "p", "address": 5}],
            "points[1].name: 'p' already used",
        ),
        ([], "points: List should have at least 1 item"),
    ],
)
def test_bad_templates_name_file_and_key(points: list[dict[str, object]], message: str) -> None:
    with pytest.raises(TemplateError) as err:
        parse_template({"points": points}, "site/pump.toml")
    assert str(err.value).startswith("site/pump.toml: ")
    assert message in str(err.value)


def test_template_files_from_disk(tmp_path: Path) -> None:
    good = tmp_path / "meter_x.toml"
    good.write_text(
        'kind = "meter"\n[[points]]\nname = "power_w"\naddress = 3\ntype = "int32"\nunit = "W"\n'
    )
    assert resolve_template(str(good)).name == "meter_x"
    broken = tmp_path / "broken.toml"
    broken.write_text("kind = [\n")
    with pytest.raises(TemplateError, match=r"broken.toml: invalid TOML"):
        load_template(broken)
    with pytest.raises(TemplateError, match=r"missing.toml: cannot read"):
        load_template(tmp_path / "missing.toml")
    with pytest.raises(
        TemplateError,
        match=r"unknown template 'nope' \(shipped: ev_charger_generic, heat_pump_generic",
    ):
        resolve_template("nope")


def test_relative_template_path_is_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    (site / "maps").mkdir(parents=True)
    (site / "maps" / "meter_x.toml").write_text(
        'kind = "meter"\n[[points]]\nname = "power_w"\naddress = 3\ntype = "int32"\nunit = "W"\n'
    )
    config_file = site / "osb.toml"
    config_file.write_text(
        '[store]\ndata_dir = "d"\n[[devices]]\nid = "m"\ndriver = "modbus"\n'
        'host = "127.0.0.1"\ntemplate = "maps/meter_x.toml"\n'
    )
    monkeypatch.chdir(tmp_path)  # the daemon is started from elsewhere
    [device] = load_config(config_file).devices
    assert Path(device.template) == site / "maps" / "meter_x.toml"  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match=r"devices\[0\]\.template"):
        parse_config(tomllib.loads(config_file.read_text()), "osb.toml", base_dir=tmp_path)


def _osb(devices: list[dict[str, object]]) -> dict[str, object]:
    return {"store": {"data_dir": "/tmp/x"}, "devices": devices}


def test_modbus_devices_validate_in_the_osb_config() -> None:
    config = parse_config(
        _osb(
            [
                {"id": "pv", "driver": "modbus", "host": "10.0.0.5"},
                {
                    "id": "hp",
                    "driver": "modbus",
                    "host": "10.0.0.6",
                    "port": 1502,
                    "unit_id": 3,
                    "template": "heat_pump_generic",
                    "poll_interval_s": 10,
                },
                {
                    "id": "ev",
                    "driver": "modbus",
                    "transport": "rtu",
                    "serial_port": "/dev/ttyUSB0",
                    "baudrate": 9600,
                    "parity": "E",
                    "template": "ev_charger_generic",
                },
            ]
        ),
        "osb.toml",
    )
    pv, hp, ev = config.devices
    assert (pv.port, pv.unit_id, pv.template, pv.sunspec_base) == (502, 1, None, None)
    assert (hp.port, hp.unit_id, hp.poll_interval_s) == (1502, 3, 10)
    assert ev.transport == "rtu" and ev.parity == "E"


@pytest.mark.parametrize(
    ("device", "message"),
    [
        (
            {"template": "nope"},
            "osb.toml: devices[0].template: Value error, unknown template 'nope'",
        ),
        ({"prot": 502}, "osb.toml: devices[0].prot: unknown key"),
        ({"port": 0}, "osb.toml: devices[0].port: Input should be greater than or equal to 1"),
        ({"unit_id": 300}, "devices[0].unit_id: Input should be less than or equal to 255"),
        ({"host": None}, 'transport "tcp" needs host'),
        ({"transport": "rtu", "host": None}, 'transport "rtu" needs serial_port'),
        ({"transport": "rtu", "serial_port": "/dev/ttyUSB0"}, 'host applies to transport "tcp"'),
        ({"serial_port": "/dev/ttyUSB0"}, 'serial_port applies to transport "rtu"'),
        ({"transport": "udp"}, "devices[0].transport: Input should be 'tcp' or 'rtu'"),
        (
            {"template": "heat_pump_generic", "sunspec_base": 40000},
            "sunspec_base applies to SunSpec devices",
        ),
        (
            {"reconnect_min_s": 10, "reconnect_max_s": 1},
            "reconnect_min_s is larger than reconnect_max_s",
        ),
    ],
)
def test_bad_device_tables_are_config_errors(device: dict[str, object], message: str) -> None:
    table = {"id": "d", "driver": "modbus", "host": "10.0.0.5", **device}
    with pytest.raises(ConfigError) as err:
        parse_config(_osb([table]), "osb.toml")
    assert message in str(err.value)


def test_the_documented_example_is_a_valid_config() -> None:
    doc = modbus_package.__doc__ or ""
    block = doc.split("::\n\n", 1)[1].split("\n\n")
    example = textwrap.dedent("\n\n".join(b for b in block if b.startswith("    ")))
    config = parse_config({"store": {"data_dir": "/tmp/x"}, **tomllib.loads(example)}, "doc")
    assert [d.id for d in config.devices] == ["pv", "heat_pump"]
    assert config.devices[1].transport == "rtu"
