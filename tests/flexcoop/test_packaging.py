"""A regular (non-editable) install must ship everything: `pip install . && flexcoop demo` is
README's first command. Builds the real wheel and compares it with the source folders."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {
    "flexcoop": "flexcoop",
    "openadr": "flexcoop/openadr",
    "drivers": "flexcoop/drivers",
    "edge": "flexcoop/edge",
    "cloud": "flexcoop/cloud",
    "hardware": "flexcoop/hardware",
}
SHIPPED = {".py", ".toml", ".mako"}


def test_wheel_contains_every_module_template_and_migration(tmp_path: Path) -> None:
    # Build from a clean copy: setuptools reuses a stale build/ folder and would hide omissions.
    src = tmp_path / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", "build", "*.egg-info", "__pycache__", ".*cache", "node_modules"
        ),
    )
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    [wheel] = tmp_path.glob("flexcoop-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"{target}/{path.relative_to(ROOT / folder).as_posix()}"
        for folder, target in FOLDERS.items()
        for path in (ROOT / folder).rglob("*")
        if path.suffix in SHIPPED and "__pycache__" not in path.parts
    }
    missing = sorted(expected - names)
    assert not missing, f"not in the wheel: {missing[:20]}"
    assert "flexcoop/cloud/vtn/migrations/versions/vtn_0001_initial.py" in names
    assert "flexcoop/drivers/modbus/templates/heat_pump_generic.toml" in names
