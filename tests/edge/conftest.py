"""Helpers to run the real ``flexcoop osb`` daemon as a subprocess and read its JSON log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest


class DaemonProcess:
    def __init__(self, config: Path) -> None:
        self.config = config
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flexcoop.cli", "osb", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.events: list[dict[str, Any]] = []

    def wait_event(self, name: str, timeout_s: float = 30.0) -> dict[str, Any]:
        assert self.proc.stderr is not None
        deadline = time.monotonic() + timeout_s
        for found in self.events:
            if found.get("event") == name:
                return found
        while time.monotonic() < deadline:
            line = _readline(self.proc.stderr, deadline)
            if line is None:
                break
            try:
                record = json.loads(line)
            except ValueError:
                continue
            self.events.append(record)
            if record.get("event") == name:
                return record
        raise AssertionError(
            f"daemon did not log {name!r}; saw {[e.get('event') for e in self.events]}"
        )

    def stop(self, timeout_s: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout_s)


def _readline(stream: IO[str], deadline: float) -> str | None:
    line = stream.readline()
    return line if line or time.monotonic() > deadline else None


@pytest.fixture
def run_daemon() -> Iterator[Any]:
    started: list[DaemonProcess] = []

    def start(config: Path) -> DaemonProcess:
        d = DaemonProcess(config)
        started.append(d)
        return d

    yield start
    for d in started:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait(10)
