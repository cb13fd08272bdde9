"""Smoke-run bench/marketplace.py --quick: it runs and prints well-formed, positive figures.
No timing is asserted (the machine is shared)."""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "marketplace.py"


def test_marketplace_bench_quick() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    figures = [json.loads(line) for line in out.stdout.splitlines()]
    assert {f["figure"] for f in figures} == {
        "marketplace_lifecycles_sequential",
        "marketplace_writes_sequential",
        "marketplace_transitions_concurrent",
        "marketplace_list_page",
    }
    for f in figures:
        assert {"figure", "value", "unit", "n"} <= f.keys()
        assert f["value"] > 0 and f["n"] > 0, f
