"""OSB configuration: one TOML file, validated at start-up.

Every error names the file and the key (``osb.toml: devices[1].port: …``); unknown keys are
errors, never silently ignored. Each ``[[devices]]`` table is validated by the config schema its
driver declares, so drivers own their keys.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from flexcoop.drivers import UnknownDriverError, load_driver
from flexcoop.drivers.base import CONFIG_DIR, DeviceConfig


class ConfigError(Exception):
    """Invalid configuration; ``str()`` is one line per problem, each naming file and key."""

    def __init__(self, file: str, problems: list[tuple[str, str]]) -> None:
        self.file = file
        self.problems = problems
        super().__init__(
            "\n".join(f"{file}: {key}: {msg}" if key else f"{file}: {msg}" for key, msg in problems)
        )


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenAdrSection(_Section):
    vtn_url: str = Field(
        description="base URL of the VTN, e.g. https://vtn.example/OpenADR2/Simple/2.0b"
    )
    ven_name: str = Field(min_length=1, max_length=128)
    poll_interval_s: float = Field(10.0, gt=0, le=3600)
    cert_file: Path | None = None
    key_file: Path | None = None
    ca_file: Path | None = None
    enabled: bool = True

    @field_validator("vtn_url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v.rstrip("/")


class ApiSection(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)


class StoreSection(_Section):
    data_dir: Path
    raw_retention_days: float = Field(14, gt=0, le=3650)
    aggregate_retention_days: float = Field(3650, gt=0)


class LogSection(_Section):
    level: str = Field("INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")


class OsbConfig(_Section):
    openadr: OpenAdrSection | None = None
    api: ApiSection = Field(default_factory=ApiSection)
    store: StoreSection
    log: LogSection = Field(default_factory=LogSection)
    devices: list[DeviceConfig] = Field(default_factory=list)


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _problems(err: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    problems = []
    for e in err.errors():
        key = _loc(tuple(e["loc"]))
        if prefix:
            key = f"{prefix}.{key}" if key else prefix
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        problems.append((key, msg))
    return problems


def parse_config(
    data: dict[str, Any], file: str = "<config>", base_dir: Path | None = None
) -> OsbConfig:
    """Validate a parsed TOML document; raises ConfigError listing every problem found.
    ``base_dir`` (the file's folder) anchors relative paths in driver keys."""
    problems: list[tuple[str, str]] = []
    raw_devices = data.get("devices", [])
    if not isinstance(raw_devices, list):
        raise ConfigError(file, [("devices", "must be an array of tables ([[devices]])")])
    devices: list[DeviceConfig] = []
    seen: set[str] = set()
    for i, table in enumerate(raw_devices):
        where = f"devices[{i}]"
        if not isinstance(table, dict):
            problems.append((where, "must be a table"))
            continue
        name = table.get("driver")
        if not isinstance(name, str):
            problems.append((f"{where}.driver", 'required (the protocol driver, e.g. "modbus")'))
            continue
        try:
            schema = load_driver(name).config_schema
        except UnknownDriverError as exc:
            problems.append((f"{where}.driver", str(exc)))
            continue
        try:
            device = schema.model_validate(table, context={CONFIG_DIR: base_dir})
        except ValidationError as exc:
            problems.extend(_problems(exc, where))
            continue
        if device.id in seen:
            problems.append((f"{where}.id", f"duplicate device id {device.id!r}"))
        seen.add(device.id)
        devices.append(device)
    try:
        config = OsbConfig.model_validate({k: v for k, v in data.items() if k != "devices"})
    except ValidationError as exc:
        problems.extend(_problems(exc))
    if problems:
        raise ConfigError(file, problems)
    config.devices = devices
    return config


def load_config(path: str | Path) -> OsbConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [("", f"cannot read: {exc.strerror or exc}")]) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [("", f"invalid TOML: {exc}")]) from exc
    config = parse_config(data, str(path), base_dir=path.parent.resolve())
    # Relative paths in the file are relative to the file, not to wherever the daemon started.
    if not config.store.data_dir.is_absolute():
        config.store.data_dir = (path.parent / config.store.data_dir).resolve()
    return config
