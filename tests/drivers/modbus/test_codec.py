"""Register codec and point scaling: what the driver decodes is what the servers encode."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flexcoop.drivers.modbus.codec import (
    DataType,
    EncodeError,
    RegisterType,
    WordOrder,
    decode,
    decode_string,
    encode,
    encode_string,
)
from flexcoop.drivers.modbus.mapping import RegisterImage, RegisterPoint, Span, plan_reads
from flexcoop.edge.model import Direction, Point
from flexcoop.units import Unit

INT_RANGES = {
    DataType.INT16: (-(2**15), 2**15 - 1),
    DataType.UINT16: (0, 2**16 - 1),
    DataType.INT32: (-(2**31), 2**31 - 1),
    DataType.UINT32: (0, 2**32 - 1),
}


@given(st.data(), st.sampled_from(sorted(INT_RANGES)), st.sampled_from(list(WordOrder)))
def test_integers_round_trip(data: st.DataObject, dtype: DataType, order: WordOrder) -> None:
    lo, hi = INT_RANGES[dtype]
    value = data.draw(st.integers(lo, hi))
    words = encode(value, dtype, order)
    assert all(0 <= w <= 0xFFFF for w in words)
    assert decode(words, dtype, order) == value


def test_word_order_swaps_words_not_bytes() -> None:
    assert encode(0x12345678, DataType.UINT32, WordOrder.BIG) == [0x1234, 0x5678]
    assert encode(0x12345678, DataType.UINT32, WordOrder.LITTLE) == [0x5678, 0x1234]
    assert decode([0xFFFF], DataType.INT16) == -1
    assert decode([0x8000], DataType.INT16) == -32768


@given(st.floats(width=32, allow_nan=False, allow_infinity=False), st.sampled_from(list(WordOrder)))
def test_float32_round_trip(value: float, order: WordOrder) -> None:
    assert decode(encode(value, DataType.FLOAT32, order), DataType.FLOAT32, order) == value


@pytest.mark.parametrize(
    ("value", "dtype"),
    [
        (70000, DataType.UINT16),
        (-1, DataType.UINT16),
        (40000, DataType.INT16),
        (1.5, DataType.INT32),
    ],
)
def test_values_that_do_not_fit_are_refused(value: float, dtype: DataType) -> None:
    with pytest.raises(EncodeError, match=dtype.value):
        encode(value, dtype)


def test_strings_are_nul_padded_ascii() -> None:
    words = encode_string("SunS", 4)
    assert words == [0x5375, 0x6E53, 0, 0]
    assert decode_string(words) == "SunS"
    with pytest.raises(EncodeError):
        encode_string("too long for two registers", 2)


def _point(name: str, **kw: object) -> RegisterPoint:
    defaults: dict[str, object] = {
        "register": RegisterType.HOLDING,
        "address": 10,
        "dtype": DataType.INT16,
    }
    defaults.update(kw)
    return RegisterPoint(
        point=Point(name=name, unit=Unit.W, direction=Direction.READ_WRITE), **defaults
    )


@pytest.mark.parametrize(
    ("sf", "raw", "expected"),
    [(0, 1234, 1234.0), (-1, 1234, 123.4), (2, 12, 1200.0), (-2, -5, -0.05)],
)
def test_sunspec_scale_factor_applies(sf: int, raw: int, expected: float) -> None:
    rp = _point("power_w", sf_address=20, sentinel=-0x8000)
    image = RegisterImage()
    image.put(RegisterType.HOLDING, 10, encode(raw, DataType.INT16))
    image.put(RegisterType.HOLDING, 20, encode(sf, DataType.INT16))
    assert rp.decode(image) == expected


@pytest.mark.parametrize("sf_raw", [0x8000, 0x7FFF, 11, 0xFFF5])  # not implemented, junk, > 10, -11
def test_unusable_scale_factor_means_not_implemented(sf_raw: int) -> None:
    rp = _point("power_w", sf_address=20)
    image = RegisterImage()
    image.put(RegisterType.HOLDING, 10, [100])
    image.put(RegisterType.HOLDING, 20, [sf_raw])
    assert rp.decode(image) is None


def test_sentinel_value_means_not_implemented() -> None:
    rp = _point("power_w", sentinel=-0x8000)
    image = RegisterImage()
    image.put(RegisterType.HOLDING, 10, [0x8000])
    assert rp.decode(image) is None
    image.put(RegisterType.HOLDING, 10, [0x8001])
    assert rp.decode(image) == -32767


def test_encode_rounds_to_the_register_step_and_reports_it() -> None:
    rp = _point("limit", dtype=DataType.UINT16, factor=0.1)
    words, applied = rp.encode(21.56)
    assert words == [216]
    assert applied == 21.6
    words, applied = rp.encode(55.55, sf=1)  # step 1.0
    assert words == [56] and applied == 56.0
    with pytest.raises(EncodeError, match="outside what the register can hold"):
        rp.encode(-1)


def test_reads_are_batched_without_bridging_holes_by_default() -> None:
    spans = [
        Span(RegisterType.INPUT, 0, 1),
        Span(RegisterType.INPUT, 1, 2),
        Span(RegisterType.INPUT, 5, 1),
        Span(RegisterType.HOLDING, 100, 1),
        Span(RegisterType.COIL, 0, 1),
        Span(RegisterType.COIL, 1, 1),
    ]
    assert plan_reads(spans) == [
        Span(RegisterType.HOLDING, 100, 1),
        Span(RegisterType.INPUT, 0, 3),
        Span(RegisterType.INPUT, 5, 1),
        Span(RegisterType.COIL, 0, 2),
    ]
    assert Span(RegisterType.INPUT, 0, 6) in plan_reads(spans, max_gap=2)


def test_batches_respect_the_protocol_limit() -> None:
    spans = [Span(RegisterType.HOLDING, a, 1) for a in range(300)]
    batches = plan_reads(spans)
    assert [b.count for b in batches] == [125, 125, 50]
    assert sum(b.count for b in batches) == 300


@given(
    st.sampled_from([DataType.INT16, DataType.UINT16, DataType.INT32, DataType.UINT32]),
    st.integers(-4, 3),
    st.data(),
)
def test_scaled_points_round_trip_to_the_nearest_step(
    dtype: DataType, sf: int, data: st.DataObject
) -> None:
    lo, hi = INT_RANGES[dtype]
    raw = data.draw(st.integers(lo + 1, hi - 1))
    step = 10.0**sf
    value = raw * step + data.draw(st.floats(-0.49, 0.49)) * step  # anywhere within the step
    rp = _point("p", dtype=dtype, sf_address=20)
    words, applied = rp.encode(value, sf)
    image = RegisterImage()
    image.put(RegisterType.HOLDING, 10, words)
    image.put(RegisterType.HOLDING, 20, encode(sf, DataType.INT16))
    assert rp.decode(image) == applied
    assert applied == pytest.approx(raw * step, rel=1e-13, abs=1e-12)


def test_large_counters_keep_every_digit() -> None:
    rp = _point("energy_wh", dtype=DataType.UINT32)
    image = RegisterImage()
    image.put(RegisterType.HOLDING, 10, encode(4_294_967_295, DataType.UINT32))
    assert rp.decode(image) == 4_294_967_295


def test_float32_values_read_as_written() -> None:
    rp = _point("temp", dtype=DataType.FLOAT32, order=WordOrder.LITTLE)
    words, applied = rp.encode(21.3)
    assert applied == 21.3
    image = RegisterImage()
    image.put(RegisterType.HOLDING, 10, words)
    assert rp.decode(image) == 21.3
    image.put(RegisterType.HOLDING, 10, [0x0000, 0x7FC0])  # NaN, low word first
    assert rp.decode(image) is None
