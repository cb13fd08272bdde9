"""Child process for test_faults.py: fills the "disk" with a real OS limit (RLIMIT_FSIZE, which
binds root too, unlike chmod), checks how the store behaves while full, lifts the limit and
checks that it recovers. Prints one JSON object per phase. argv: data_dir, t0 (ISO)."""

import asyncio
import json
import resource
import signal
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flexcoop.edge.model import Reading
from flexcoop.edge.store import Store, StoreUnavailableError
from flexcoop.units import Unit


def report(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


async def raises_unavailable(call: Any) -> bool:
    try:
        await call
    except StoreUnavailableError:
        return True
    return False


async def main(data_dir: Path, t0: datetime) -> None:
    # Exceeding the limit raises SIGXFSZ, which would kill us; ignored, write() fails with EFBIG.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    added = 0

    def add(n: int) -> None:
        nonlocal added
        store.add_readings(
            [
                Reading("m", "p", float(i), Unit.W, t0 + timedelta(milliseconds=i))
                for i in range(added, added + n)
            ]
        )
        added += n

    async with Store(
        data_dir, flush_interval_s=0.02, retry_interval_s=0.05, max_buffer=50_000
    ) as store:
        add(1000)
        await store.flush()
        kept = await store.outbox_put("reports", b"before")
        # The limit binds every write at an offset beyond it, even inside an existing file:
        # with 1 byte nothing more reaches the disk, like a full or failing medium.
        resource.setrlimit(resource.RLIMIT_FSIZE, (1, hard))
        for _ in range(500):
            add(2000)
            await asyncio.sleep(0.02)
            if not store.health().ok:
                break
        health = store.health()
        report(
            phase="full",
            ok=health.ok,
            writable=health.writable,
            error=health.error,
            buffered=health.buffered_readings,
            outbox_raised=await raises_unavailable(store.outbox_put("reports", b"during")),
            state_raised=await raises_unavailable(store.set_state("k", 1)),
            flush_raised=await raises_unavailable(store.flush()),
        )
        add(1000)  # still accepted while full
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        for _ in range(500):
            await asyncio.sleep(0.02)
            if store.health().ok:
                break
        await store.flush()
        after = await store.outbox_put("reports", b"after")
        stored = await store.history("m", "p", t0, t0 + timedelta(hours=1), limit=10**7)
        health = store.health()
        report(
            phase="recovered",
            ok=health.ok,
            error=health.error,
            added=added,
            stored=len(stored),
            contiguous=[r.value for r in stored] == [float(i) for i in range(len(stored))],
            dropped=health.dropped_readings,
            buffered=health.buffered_readings,
            outbox=[item.payload.decode() for item in await store.outbox_peek("reports")],
            ids=[kept, after],
        )


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2])))
