"""Modbus TCP/RTU driver with SunSpec discovery and TOML device templates.

A ``[[devices]]`` table with ``driver = "modbus"``::

    [[devices]]
    id = "pv"                 # SunSpec: no template, the model chain says what the device is
    driver = "modbus"
    host = "192.168.1.20"     # port 502, unit_id 1, timeout_s 3, poll_interval_s 5 by default
    # sunspec_base = 40000    # absent: 40000, 50000 and 0 are tried

    [[devices]]
    id = "heat_pump"
    driver = "modbus"
    transport = "rtu"         # RS-485: serial_port, baudrate, parity, bytesize, stopbits
    serial_port = "/dev/ttyUSB0"
    unit_id = 3
    template = "heat_pump_generic"   # or a path to a site-specific .toml register map

SunSpec points get canonical names (``power_w``, ``energy_wh``, ``soc_pct``,
``power_limit_pct``…, see ``sunspec_models``); a second model using a name already taken is
prefixed (``m203.power_w`` for a meter behind an inverter). Template points keep the names the
template gives them. Readings are in canonical units; writes take canonical values and return
what the device holds after its own scaling.
"""

from flexcoop.drivers.modbus.config import ModbusDeviceConfig
from flexcoop.drivers.modbus.driver import SCAN_UNIT_IDS, ModbusDriver
from flexcoop.drivers.modbus.templates import ModbusTemplate, TemplateError

__all__ = [
    "SCAN_UNIT_IDS",
    "ModbusDeviceConfig",
    "ModbusDriver",
    "ModbusTemplate",
    "TemplateError",
]
