"""Register-level encoding shared by the driver and the virtual servers.

Modbus moves 16-bit registers; everything wider (32-bit integers, floats, strings) is a
convention of the device. Keeping the conversion here, in one place, is what lets the virtual
servers encode exactly what the driver decodes.
"""

from __future__ import annotations

import math
import struct
from enum import StrEnum


class RegisterType(StrEnum):
    HOLDING = "holding"
    INPUT = "input"
    COIL = "coil"
    DISCRETE = "discrete"

    @property
    def is_bit(self) -> bool:
        return self in (RegisterType.COIL, RegisterType.DISCRETE)

    @property
    def writable(self) -> bool:
        return self in (RegisterType.HOLDING, RegisterType.COIL)

    @property
    def max_read(self) -> int:
        """Largest count one request may ask for (Modbus application protocol §6)."""
        return 2000 if self.is_bit else 125


class DataType(StrEnum):
    BOOL = "bool"
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    FLOAT32 = "float32"
    STRING = "string"

    @property
    def integral(self) -> bool:
        return self not in (DataType.FLOAT32, DataType.STRING)


class WordOrder(StrEnum):
    """Order of 16-bit words in multi-register values; bytes within a word are always big-endian."""

    BIG = "big"  # high word first: Modbus convention, SunSpec
    LITTLE = "little"  # low word first: many heat pumps and chargers


_STRUCT = {
    DataType.BOOL: "H",
    DataType.INT16: "h",
    DataType.UINT16: "H",
    DataType.INT32: "i",
    DataType.UINT32: "I",
    DataType.FLOAT32: "f",
}

_RANGE = {
    DataType.BOOL: (0, 1),
    DataType.INT16: (-(2**15), 2**15 - 1),
    DataType.UINT16: (0, 2**16 - 1),
    DataType.INT32: (-(2**31), 2**31 - 1),
    DataType.UINT32: (0, 2**32 - 1),
}


class EncodeError(ValueError):
    """A value that does not fit the register type it must be written as."""


def register_count(dtype: DataType, size: int = 1) -> int:
    """Registers one value occupies; ``size`` is the register length of strings."""
    if dtype is DataType.STRING:
        return size
    return 2 if dtype in (DataType.INT32, DataType.UINT32, DataType.FLOAT32) else 1


def raw_range(dtype: DataType) -> tuple[int, int]:
    """Smallest and largest raw integer the type holds (floats and strings have none)."""
    try:
        return _RANGE[dtype]
    except KeyError:
        raise EncodeError(f"{dtype.value} has no integer range") from None


def _ordered(words: list[int], order: WordOrder) -> list[int]:
    return words if order is WordOrder.BIG else words[::-1]


def decode(registers: list[int], dtype: DataType, order: WordOrder = WordOrder.BIG) -> float:
    """Raw value of one numeric point from its registers (already the right count)."""
    if dtype is DataType.STRING:
        raise EncodeError("strings decode with decode_string")
    words = _ordered(list(registers), order)
    data = b"".join(w.to_bytes(2, "big") for w in words)
    value: float = struct.unpack(">" + _STRUCT[dtype], data)[0]
    return value


def encode(value: float, dtype: DataType, order: WordOrder = WordOrder.BIG) -> list[int]:
    """Registers for a raw value; integer types must get an integral value within range."""
    if dtype is DataType.STRING:
        raise EncodeError("strings encode with encode_string")
    if dtype is DataType.FLOAT32:
        if not math.isfinite(value):
            raise EncodeError(f"{value} is not a finite number")
        data = struct.pack(">f", value)
    else:
        lo, hi = _RANGE[dtype]
        if value != int(value) or not lo <= value <= hi:
            raise EncodeError(f"{value} does not fit {dtype.value} ({lo}..{hi})")
        data = struct.pack(">" + _STRUCT[dtype], int(value))
    words = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    return _ordered(words, order)


def decode_string(registers: list[int]) -> str:
    """SunSpec strings: two ASCII bytes per register, NUL-padded."""
    data = b"".join(w.to_bytes(2, "big") for w in registers)
    return data.split(b"\x00", 1)[0].decode("latin-1").strip()


def encode_string(text: str, size: int) -> list[int]:
    data = text.encode("latin-1")
    if len(data) > 2 * size:
        raise EncodeError(f"{text!r} is longer than {2 * size} bytes")
    data = data.ljust(2 * size, b"\x00")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
