"""`flowbot upscale` as a user runs it: a real subprocess, real FFmpeg, real files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.pipeline.probe import probe

REPO = Path(__file__).resolve().parents[2]


def _flowbot(*args: str, cwd: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UPSCALE_", "PATHS_"))}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--env-file", str(cwd / "none.env"), *args],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_as_from_a_terminal,
    )


def _as_from_a_terminal() -> None:
    # Regression (test_ctrl_c_stops_ffmpeg_and_leaves_no_file failed when the suite itself ran
    # as a background job): a shell starts `cmd &` with SIGINT ignored, the child inherits that,
    # and Ctrl-C never reached it. A command typed at a terminal gets SIGINT's default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


async def test_upscales_one_file_with_progress(small_clip, tmp_path):
    out = tmp_path / "out" / "small_4k.mp4"
    proc = _flowbot("upscale", str(small_clip), "-o", str(out), "--preset", "fast", cwd=tmp_path)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert "2160x3834" in stdout and "x real time" in stdout
    bars = [line for line in stderr.splitlines() if line.startswith("[")]
    assert bars and bars[-1].startswith("[" + "#" * 30 + "] 100.0%")
    info = await probe(out)
    assert (info.width, info.height) == (2160, 3834)
    assert os.listdir(out.parent) == ["small_4k.mp4"]


def test_unreadable_input_is_a_one_line_error(corrupt_file, tmp_path):
    proc = _flowbot("upscale", str(corrupt_file), "-o", str(tmp_path / "o.mp4"), cwd=tmp_path)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert stderr.startswith("error: corrupt.mp4 is not a readable video")
    assert not (tmp_path / "o.mp4").exists()


def test_bad_preset_is_refused_by_the_parser(small_clip, tmp_path):
    proc = _flowbot("upscale", str(small_clip), "--preset", "ultra", cwd=tmp_path)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "invalid choice: 'ultra'" in stderr


def test_ctrl_c_stops_ffmpeg_and_leaves_no_file(portrait_clip, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = _flowbot("upscale", str(portrait_clip), "-o", str(out_dir / "p.mp4"),
                    "--preset", "high", cwd=tmp_path)
    assert proc.stderr is not None
    lines = iter(proc.stderr.readline, "")
    first = next(line for line in lines if line.startswith("["))  # FFmpeg is encoding
    assert "%" in first
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    time.sleep(0.2)
    leftovers = [p for p in Path("/proc").iterdir() if p.name.isdigit()
                 and str(out_dir).encode() in _cmdline(p)]
    assert leftovers == []  # no FFmpeg still writing there
    assert os.listdir(out_dir) == []
    assert proc.poll() is not None


def _cmdline(proc_dir: Path) -> bytes:
    try:
        return (proc_dir / "cmdline").read_bytes()
    except OSError:
        return b""
