"""The daemon as operators run it: config validation, start, health, clean stop on SIGTERM."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any


def _osb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flexcoop.cli", "osb", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_invalid_config_exits_nonzero_names_key_and_starts_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = tmp_path / "osb.toml"
    config.write_text(
        f'[store]\ndata_dir = "{data}"\n[api]\nport = 0\n'
        '[[devices]]\nid = "pv"\ndriver = "modbus"\nhost = "127.0.0.1"\nport = "five"\n'
        '[[devices]]\nid = "x"\ndriver = "modbus"\nhost = "127.0.0.1"\ncolour = "red"\n'
    )
    result = _osb("--config", str(config))
    assert result.returncode == 2
    assert f"{config}: devices[0].port" in result.stderr
    assert f"{config}: devices[1].colour: unknown key" in result.stderr
    assert not data.exists(), "nothing may start (not even the store) on a bad config"


def test_check_config_validates_without_starting(tmp_path: Path) -> None:
    config = tmp_path / "osb.toml"
    config.write_text('[store]\ndata_dir = "d"\n')
    result = _osb("--config", str(config), "--check-config")
    assert result.returncode == 0, result.stderr
    assert "ok (0 devices)" in result.stdout
    assert not (tmp_path / "d").exists()


def test_daemon_serves_health_and_stops_cleanly_on_sigterm(tmp_path: Path, run_daemon: Any) -> None:
    config = tmp_path / "osb.toml"
    config.write_text('[store]\ndata_dir = "data"\n[api]\nhost = "127.0.0.1"\nport = 0\n')
    daemon = run_daemon(config)
    started = daemon.wait_event("osb_started")
    port = started["api_port"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=10) as resp:
        health = json.load(resp)
    assert health["ok"] is True
    assert health["store"]["writable"] is True
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=10) as r:
        paths = json.load(r)["paths"]
    assert "/api/v1/devices/{device_id}/points/{point}/write" in paths
    assert daemon.stop() == 0
    daemon.wait_event("osb_stopped")
    assert (tmp_path / "data").is_dir()
