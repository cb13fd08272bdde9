"""Smoke-run bench/openadr_codec.py --quick: it runs and prints well-formed, positive figures.
No timing is asserted (the machine is shared)."""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "openadr_codec.py"


def test_openadr_codec_benchmark_quick_prints_positive_figures() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    figures = [json.loads(line) for line in out.stdout.splitlines()]
    names = {f["figure"] for f in figures}
    assert {
        "decode_poll",
        "encode_response_cached",
        "decode_event",
        "encode_event",
        "decode_report",
    } <= names
    for f in figures:
        assert {"figure", "value", "unit", "n"} <= f.keys()
        assert f["value"] > 0 and f["n"] > 0, f
