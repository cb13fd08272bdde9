"""What every benchmark under ``bench/`` shares: the JSON figure line and the database loop.

A benchmark prints one JSON object per figure, ``{"figure", "value", "unit", "n", …}``, so that
``flexcoop bench NAME`` output can be collected and compared across runs and machines.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def emit(figure: str, value: float, unit: str, n: int, **extra: Any) -> None:
    """Print one figure as a JSON line."""
    print(json.dumps({"figure": figure, "value": round(value, 4), "unit": unit, "n": n} | extra))


async def databases(
    backends: str, pg_url: str, figure: str
) -> AsyncGenerator[tuple[str, str], None]:
    """``(name, url)`` for each back-end in ``"sqlite,postgres"``: a fresh SQLite file, or a
    fresh PostgreSQL database dropped afterwards. A server that does not answer is reported as
    ``{"figure": figure, "db": …, "skipped": reason}`` and skipped."""
    from flexcoop.cloud.db import create_database, drop_database

    for db in backends.split(","):
        if db == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                yield db, f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        elif db == "postgres":
            try:
                url = await create_database(pg_url, prefix="flexcoop_bench")
            except Exception as exc:  # any failure to reach the server: report and go on
                print(json.dumps({"figure": figure, "db": db, "skipped": repr(exc)[:200]}))
                continue
            try:
                yield db, url
            finally:
                await drop_database(url)
        else:
            raise ValueError(f"unknown back-end {db!r} (sqlite, postgres)")
