"""The README's simulator try-out, run as written (issue 20 item 5): the log lines used to cut
into the progress display, the zip was written twice (`out/batch1_4k.zip` and
`out/exports/export1/batch1_4k.zip`), and the simulator's own files (`out/flowsim/media/…`,
`out/.flowsim-session.json`) landed among the user's clips."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import zipfile

from bot.cli.batch import LOG_NAME, BatchLog, simulator_home
from tests.cli.runs import ROOT, simulator_run_env
from tests.services.harness import make_frames

LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO|WARNING|ERROR) ")


def test_readme_tryout_writes_one_zip_and_keeps_logs_and_simulator_files_out_of_sight(tmp_path):
    make_frames(tmp_path / "my_images", 1)
    out = tmp_path / "out"
    env = simulator_run_env(FLOWSIM_BUILD="december")
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--env-file", str(tmp_path / "none.env"), "batch",
         str(tmp_path / "my_images"), "--prompt", "slow push in, golden hour",
         "--backend", "simulator", "--sim-generation-seconds", "2", "--outputs", "2",
         "--upscale", "fast", "--zip", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    said = proc.stdout + proc.stderr
    assert proc.returncode == 0, said
    # Nothing of the log on the terminal: it is in the output folder's log file.
    assert not LOG_LINE.search(said), said
    log_text = (out / LOG_NAME).read_text()
    assert LOG_LINE.search(log_text) and " INFO " in log_text
    # One zip, where the user looks, with both 4K clips in it.
    assert sorted(out.rglob("*.zip")) == [out / "batch1_4k.zip"]
    with zipfile.ZipFile(out / "batch1_4k.zip") as zf:
        assert len([n for n in zf.namelist() if n.endswith(".mp4")]) == 2
    # The simulator's working files never touched the output folder, and went with the batch.
    assert not [p for p in out.rglob("*") if "flowsim" in p.name], sorted(out.rglob("*"))
    assert not simulator_home(out).exists()


def test_batch_log_keeps_warnings_in_the_file_and_counts_them(tmp_path, capsys):
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    root.setLevel(logging.INFO)  # as `flowbot` sets it
    try:
        log = BatchLog.install(tmp_path / "o" / LOG_NAME)
        logging.getLogger("bot.test").info("an info line")
        secret = "123456:" + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi"
        logging.getLogger("bot.test").warning("a warning with bot token %s", secret)
        log.report()
        log.close()  # what logging's shutdown does at exit: the line is not said again
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved:
            root.addHandler(handler)
        root.setLevel(level)
    text = (tmp_path / "o" / LOG_NAME).read_text()
    assert "an info line" in text and "a warning" in text
    assert "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi" not in text  # the redaction holds in the file
    err = capsys.readouterr().err
    assert err.count("1 warning(s) logged in") == 1 and "an info line" not in err
