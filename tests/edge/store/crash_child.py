"""Child process for test_crash.py: ingests as fast as it can and, after every durable flush,
prints what it has been promised is on disk. The parent kills it with SIGKILL at a random
moment and checks that every promise held.

argv: data_dir, t0 (ISO), first reading index
"""

import asyncio
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

from flexcoop.edge.model import Reading
from flexcoop.edge.store import Store
from flexcoop.units import Unit

BATCH = 2000
DEVICES = 10


async def main(data_dir: Path, t0: datetime, start: int) -> None:
    async with Store(data_dir, flush_interval_s=0.02, max_batch=BATCH) as store:
        n = start
        while True:
            store.add_readings(
                [
                    Reading(
                        f"d{i % DEVICES}", "p", float(i), Unit.W, t0 + timedelta(milliseconds=i)
                    )
                    for i in range(n, n + BATCH)
                ]
            )
            n += BATCH
            if (n - start) % (4 * BATCH) == 0:
                await store.flush()
                item = await store.outbox_put("reports", f"upto {n}".encode())
                print(json.dumps({"flushed": n, "outbox": item}), flush=True)
            else:
                await asyncio.sleep(0)  # let the writer task commit in between


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2]), int(sys.argv[3])))
