"""Smoke-run bench/openadr_codec.py --quick: it runs and prints well-formed, positive figures."""

from collections.abc import Callable
from typing import Any


def test_openadr_codec_benchmark_quick_prints_positive_figures(
    run_bench: Callable[..., Any],
) -> None:
    figures = run_bench("openadr_codec")
    names = {f["figure"] for f in figures}
    assert {
        "decode_poll",
        "encode_response_cached",
        "decode_event",
        "encode_event",
        "decode_report",
    } <= names
    for f in figures:
        assert f["value"] > 0 and f["n"] > 0, f
