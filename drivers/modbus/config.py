"""Keys of a ``[[devices]]`` table with ``driver = "modbus"``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from flexcoop.drivers.base import CONFIG_DIR, DeviceConfig
from flexcoop.drivers.modbus.templates import TemplateError, is_template_path, resolve_template


class ModbusDeviceConfig(DeviceConfig):
    host: str | None = Field(None, description="TCP: device or gateway address")
    port: int = Field(502, ge=1, le=65535)
    unit_id: int = Field(1, ge=0, le=255, description="Modbus unit (slave) id")
    template: str | None = Field(
        None,
        description="shipped template name or path to a .toml register map; "
        "absent: SunSpec discovery",
    )
    transport: Literal["tcp", "rtu"] = "tcp"
    serial_port: str | None = Field(None, description="RTU: serial device or socket://host:port")
    baudrate: int = Field(19200, ge=300, le=921_600)
    parity: Literal["N", "E", "O"] = "N"
    bytesize: Literal[7, 8] = 8
    stopbits: Literal[1, 2] = 1
    timeout_s: float = Field(3.0, gt=0, le=60)
    sunspec_base: int | None = Field(
        None, ge=0, le=65533, description="SunSpec base register; absent: 40000, 50000, 0 tried"
    )
    reconnect_min_s: float = Field(1.0, gt=0, le=3600, description="first reconnect delay")
    reconnect_max_s: float = Field(60.0, gt=0, le=86_400, description="reconnect delay cap")

    @field_validator("template")
    @classmethod
    def _template_loads(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is None:
            return v
        base_dir = (info.context or {}).get(CONFIG_DIR)
        if base_dir is not None and is_template_path(v) and not Path(v).is_absolute():
            # A path in osb.toml means "next to osb.toml", wherever the daemon was started.
            v = str(Path(base_dir) / v)
        try:
            resolve_template(v)
        except TemplateError as exc:
            raise ValueError(str(exc)) from None
        return v

    @model_validator(mode="after")
    def _transport_keys(self) -> ModbusDeviceConfig:
        if self.transport == "tcp" and not self.host:
            raise ValueError('transport "tcp" needs host')
        if self.transport == "rtu" and not self.serial_port:
            raise ValueError('transport "rtu" needs serial_port')
        if self.transport == "tcp" and self.serial_port:
            raise ValueError('serial_port applies to transport "rtu", not "tcp"')
        if self.transport == "rtu" and self.host:
            raise ValueError('host applies to transport "tcp", not "rtu"')
        if self.template is not None and self.sunspec_base is not None:
            raise ValueError("sunspec_base applies to SunSpec devices, not to a template")
        if self.reconnect_min_s > self.reconnect_max_s:
            raise ValueError("reconnect_min_s is larger than reconnect_max_s")
        return self
