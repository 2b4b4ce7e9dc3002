"""`flowbot --version` and `flowbot doctor` against the real machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot import __version__

ROOT = Path(__file__).resolve().parents[1]


def _flowbot(*args: str, cwd: Path, **extra_env: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOW_", "PATHS_"))}
    env.update(extra_env, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, cwd=cwd,
        timeout=120,
    )


def test_version(tmp_path):
    out = _flowbot("--version", cwd=tmp_path)
    assert out.returncode == 0
    assert out.stdout.strip() == f"flowbot {__version__}"


def test_doctor_passes_on_a_set_up_machine(tmp_path):
    out = _flowbot("doctor", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    for name in ("settings valid", "database migrated", "ffmpeg", "ffprobe", "chromium launchable",
                 "data dir writable"):
        line = next(ln for ln in out.stdout.splitlines() if name in ln)
        assert line.startswith("ok"), line
    assert (tmp_path / "data" / "flowbot.sqlite3").exists()


def test_doctor_fails_and_names_a_missing_chromium(tmp_path):
    out = _flowbot("doctor", cwd=tmp_path, FLOW_CHROMIUM_PATH="/nonexistent/chromium")
    assert out.returncode != 0
    line = next(ln for ln in out.stdout.splitlines() if "chromium" in ln)
    assert line.startswith("FAIL") and "/nonexistent/chromium" in line


def test_doctor_reports_invalid_settings_as_a_failed_row(tmp_path):
    out = _flowbot("doctor", cwd=tmp_path, FLOW_RENDER_SLOTS="many")
    assert out.returncode != 0
    assert "FLOW_RENDER_SLOTS is invalid" in out.stdout
    assert "Traceback" not in out.stderr


def test_doctor_fails_on_unwritable_data_dir(tmp_path):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    out = _flowbot("doctor", cwd=tmp_path, PATHS_DATA_DIR=str(blocker / "data"))
    assert out.returncode != 0
    assert any(ln.startswith("FAIL") and "data dir" in ln for ln in out.stdout.splitlines())
