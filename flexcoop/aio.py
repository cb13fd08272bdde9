"""Small asyncio lifecycle helpers shared by every long-running component.

Components own their background tasks explicitly (created in ``start``, ended in ``stop``);
these two helpers are the pieces every one of them needs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, TypeVar

from flexcoop.logs import get_logger

log = get_logger(__name__)

T = TypeVar("T")


def run_fast(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on uvloop when it is installed (the cloud's servers: it takes about a
    fifth off every request), on the standard loop otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


async def cancel_and_wait(tasks: Iterable[asyncio.Task[Any] | None]) -> None:
    """Cancel ``tasks`` and wait until each has ended. A task's own failure has already been
    logged where it happened; stopping must go on regardless."""
    pending = [t for t in tasks if t is not None]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


async def run_every(interval_s: float, job: Callable[[], Awaitable[Any]], *, name: str) -> None:
    """Run ``job`` every ``interval_s`` seconds until cancelled. A failing round is logged and
    the next one retries: a database hiccup must not end a timer for good."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await job()
        except Exception:
            log.exception("periodic_job_failed", extra={"fields": {"job": name}})
