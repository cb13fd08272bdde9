"""Modbus TCP/RTU driver with SunSpec discovery and TOML device templates."""

from flexcoop.drivers.modbus.config import ModbusDeviceConfig
from flexcoop.drivers.modbus.driver import SCAN_UNIT_IDS, ModbusDriver
from flexcoop.drivers.modbus.templates import ModbusTemplate, TemplateError

__all__ = ["SCAN_UNIT_IDS", "ModbusDeviceConfig", "ModbusDriver", "ModbusTemplate", "TemplateError"]
