import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from flexcoop.edge.store import Store
from flexcoop.edge.store.store import DB_FILENAME

CHILD = Path(__file__).with_name("crash_child.py")
DEVICES = 10


def run_and_kill(
    data_dir: Path, t0: datetime, start: int, rng: random.Random
) -> list[dict[str, int]]:
    """Start the child, let it report a few durable flushes, SIGKILL it mid-ingest."""
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(data_dir), t0.isoformat(), str(start)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if len(lines) >= rng.randint(3, 8):
                break
        time.sleep(rng.uniform(0, 0.05))  # land the kill anywhere in the ingest loop
    finally:
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    lines += rest.splitlines(keepends=True)
    # Only complete lines are promises; a half-written last line is not.
    return [json.loads(line) for line in lines if line.endswith("\n")]


async def test_kill_9_during_heavy_ingest_loses_nothing_that_was_promised(
    tmp_path: Path, t0: datetime
) -> None:
    rng = random.Random(7)
    start = 0
    promised: list[tuple[int, int]] = []  # reading index ranges [start, flushed) per round
    outbox_ids: list[int] = []
    for _ in range(3):  # each round restarts on the database the previous kill left behind
        promises = run_and_kill(tmp_path, t0, start, rng)
        assert promises, "child reported no durable flush before it was killed"
        promised.append((start, promises[-1]["flushed"]))
        outbox_ids += [p["outbox"] for p in promises]

        conn = sqlite3.connect(tmp_path / DB_FILENAME)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()

        async with Store(tmp_path, maintenance_interval_s=3600) as store:
            for lo, hi in promised:
                for d in range(DEVICES):
                    got = await store.history(
                        f"d{d}",
                        "p",
                        t0 + timedelta(milliseconds=lo),
                        t0 + timedelta(milliseconds=hi),
                        limit=10**7,
                    )
                    assert [r.value for r in got] == [float(i) for i in range(lo + d, hi, DEVICES)]
            pending = {item.id for item in await store.outbox_peek("reports", limit=10**6)}
            assert set(outbox_ids) <= pending
        # Continue numbering after anything the dead child may have written beyond its promise.
        start = promised[-1][1] + 100 * 2000
