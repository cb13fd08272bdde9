"""Modbus TCP/RTU driver with SunSpec discovery."""
