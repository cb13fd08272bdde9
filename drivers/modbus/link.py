"""Modbus connections (a TCP socket or a serial line), shared by the units behind them.

Several units often sit behind one connection: a gateway with an inverter and a meter, or an
RS-485 line with a heat pump and a charger. A serial port can only be opened once, so devices
on one line share a ``Link``; its lock keeps one request on the wire at a time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.client.base import ModbusBaseClient
from pymodbus.exceptions import ModbusException
from pymodbus.framer import FramerType

from flexcoop.drivers.base import DeviceUnavailableError, DriverError
from flexcoop.drivers.modbus.codec import RegisterType
from flexcoop.drivers.modbus.config import ModbusDeviceConfig

EXCEPTION_CODES = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "server device failure",
    5: "acknowledge",
    6: "server device busy",
    8: "memory parity error",
    10: "gateway path unavailable",
    11: "gateway target device failed to respond",
}


class ModbusReplyError(DriverError):
    """The device answered with a Modbus exception."""

    def __init__(self, code: int, request: str) -> None:
        self.code = code
        name = EXCEPTION_CODES.get(code, "unknown exception")
        super().__init__(f"{request}: device replied exception {code} ({name})")

    @property
    def request_rejected(self) -> bool:
        """The device is there and answered, but refuses this particular request."""
        return self.code in (1, 2, 3)


@dataclass(frozen=True, slots=True)
class LinkKey:
    transport: str
    address: str  # host:port or serial device
    settings: str = ""  # serial line settings; a line cannot serve two of them

    def __str__(self) -> str:
        return f"{self.transport}://{self.address}"


def link_key(config: ModbusDeviceConfig) -> LinkKey:
    if config.transport == "rtu":
        settings = f"{config.baudrate} {config.bytesize}{config.parity}{config.stopbits}"
        return LinkKey("rtu", str(config.serial_port), settings)
    return LinkKey("tcp", f"{config.host}:{config.port}")


def _client(config: ModbusDeviceConfig) -> ModbusBaseClient:
    # Reconnection is ours (capped, jittered back-off per device), not pymodbus's.
    if config.transport == "rtu":
        return AsyncModbusSerialClient(
            str(config.serial_port),
            framer=FramerType.RTU,
            baudrate=config.baudrate,
            bytesize=config.bytesize,
            parity=config.parity,
            stopbits=config.stopbits,
            timeout=config.timeout_s,
            retries=1,
            reconnect_delay=0,
        )
    return AsyncModbusTcpClient(
        str(config.host),
        port=config.port,
        timeout=config.timeout_s,
        retries=1,
        reconnect_delay=0,
    )


class Link:
    def __init__(self, key: LinkKey, config: ModbusDeviceConfig) -> None:
        self.key = key
        self._config = config
        self._client: ModbusBaseClient | None = None
        self._lock = asyncio.Lock()
        self.users = 0

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.connected

    async def connect(self) -> None:
        async with self._lock:
            if self.connected:
                return
            self._close()
            self._client = _client(self._config)
            try:
                ok = await self._client.connect()
            except (ModbusException, OSError) as exc:
                ok = False
                reason = str(exc)
            else:
                reason = "connection refused or timed out"
            if not ok:
                self._close()
                raise DeviceUnavailableError(f"cannot connect to {self.key}: {reason}")

    def _close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def close(self) -> None:
        self._close()

    async def read(self, unit: int, register: RegisterType, address: int, count: int) -> list[int]:
        what = f"read {register.value} {address}+{count} from unit {unit}"
        async with self._lock:
            client = self._require()
            call = {
                RegisterType.HOLDING: client.read_holding_registers,
                RegisterType.INPUT: client.read_input_registers,
                RegisterType.COIL: client.read_coils,
                RegisterType.DISCRETE: client.read_discrete_inputs,
            }[register]
            try:
                reply = await call(address, count=count, device_id=unit)
            except ModbusException as exc:
                self._failed(client)
                raise DeviceUnavailableError(f"{what}: {exc}") from exc
        if reply.isError():
            raise ModbusReplyError(getattr(reply, "exception_code", 0), what)
        if register.is_bit:
            return [int(b) for b in reply.bits[:count]]
        if len(reply.registers) != count:
            raise DriverError(f"{what}: got {len(reply.registers)} registers")
        return list(reply.registers)

    async def write(
        self, unit: int, register: RegisterType, address: int, words: list[int]
    ) -> None:
        what = f"write {register.value} {address}={words} to unit {unit}"
        async with self._lock:
            client = self._require()
            try:
                if register is RegisterType.COIL:
                    reply = await client.write_coil(address, bool(words[0]), device_id=unit)
                elif register is RegisterType.HOLDING and len(words) == 1:
                    reply = await client.write_register(address, words[0], device_id=unit)
                elif register is RegisterType.HOLDING:
                    reply = await client.write_registers(address, words, device_id=unit)
                else:
                    raise DriverError(f"{what}: {register.value} registers are read-only")
            except ModbusException as exc:
                self._failed(client)
                raise DeviceUnavailableError(f"{what}: {exc}") from exc
        if reply.isError():
            raise ModbusReplyError(getattr(reply, "exception_code", 0), what)

    def _failed(self, client: ModbusBaseClient) -> None:
        # A unit that does not answer (absent behind a gateway, or a probe during discovery)
        # must not cut the connection its neighbours use; pymodbus drops a connection itself
        # after several silent requests in a row, and a lost one is reopened on next use.
        if not client.connected:
            self._close()

    def _require(self) -> ModbusBaseClient:
        if self._client is None or not self._client.connected:
            self._close()
            raise DeviceUnavailableError(f"not connected to {self.key}")
        return self._client


class LinkPool:
    """Hands out one ``Link`` per connection, counted so the last user closes it."""

    def __init__(self) -> None:
        self._links: dict[tuple[str, str], Link] = {}

    def acquire(self, config: ModbusDeviceConfig) -> Link:
        key = link_key(config)
        link = self._links.get((key.transport, key.address))
        if link is None:
            link = self._links[(key.transport, key.address)] = Link(key, config)
        elif link.key.settings != key.settings:
            raise DriverError(
                f"{config.id}: {key} is already open with {link.key.settings}, not {key.settings}"
            )
        link.users += 1
        return link

    def release(self, link: Link) -> None:
        link.users -= 1
        if link.users <= 0:
            link.close()
            self._links.pop((link.key.transport, link.key.address), None)

    def close(self) -> None:
        """Close every connection; links stay registered and reconnect when used again."""
        for link in self._links.values():
            link.close()
