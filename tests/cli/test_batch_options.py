"""`flowbot batch` flags for what the new Flow offers: model, duration, resolution, plan,
text-only prompts, start+end pairs and Flow's 1080p; bad combinations stop before anything runs."""

from __future__ import annotations

import os

import pytest

from bot.cli import build_parser, main
from bot.cli.batch import check_options, read_prompts
from bot.config import load_settings
from tests.services.harness import make_frames


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith(("TELEGRAM_", "FLOW_", "UPSCALE_", "STORAGE_", "PATHS_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def _args(*argv: str):
    return build_parser().parse_args(["batch", *argv])


def test_flags_parse_and_resolve_against_the_catalog(tmp_path):
    args = _args("ideas.txt", "--text-only", "--model", "Omni 1.1 Flash", "--duration", "6",
                 "--resolution", "360p", "--plan", "pro", "--flow-1080p")
    assert (args.text_only, args.pairs, args.flow_1080p, args.plan) == (True, False, True, "pro")
    assert _args("x", "--prompts-only").text_only  # the alias
    settings = load_settings(None)
    assert check_options(args, settings, 3) == ("Omni 1.1 Flash", 6, "360p")
    # Defaults: our model set explicitly (never Flow's Omni), at its own duration/resolution.
    assert check_options(_args("frames"), settings, 2) == ("Veo 3.1 - Fast", 8, "720p")
    settings.flow.plan = "ultra"
    assert check_options(_args("f", "--duration", "4"), settings, 2) == ("Veo 3.1 - Fast", 4, "720p")


@pytest.mark.parametrize("argv, message", [
    (["--duration", "4"], "makes 8 s clips, not 4 s"),
    (["--model", "Veo 3.1 - Quality", "--resolution", "360p"], "renders 720p only"),
    (["--pairs"], "even number of images"),
    (["--model", "Veo 3.1 - Lite [Lower Priority]", "--plan", "ultra"], "not offered on the ultra"),
])
def test_bad_combinations_exit_2_with_a_clear_line_before_anything_starts(tmp_path, capsys, argv,
                                                                          message):
    make_frames(tmp_path / "imgs", 3)
    code = main(["--env-file", str(tmp_path / "none.env"), "batch", str(tmp_path / "imgs"),
                 "--prompt", "slow push in", "--out", str(tmp_path / "out"), *argv])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing started, nothing written


def test_text_only_reads_prompts_files(tmp_path, capsys):
    txt = tmp_path / "ideas.txt"
    txt.write_text("# my ideas\na red kite\n\na lighthouse at dusk\n")
    assert read_prompts(txt) == [(None, "a red kite"), (None, "a lighthouse at dusk")]
    csv_file = tmp_path / "ideas.csv"
    csv_file.write_text('id,prompt\n1,"waves, at night"\n2,a harbour\n')
    assert read_prompts(csv_file) == [(None, "waves, at night"), (None, "a harbour")]
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(ValueError, match="no prompts"):
        read_prompts(tmp_path / "empty.txt")
    code = main(["--env-file", str(tmp_path / "none.env"), "batch", str(txt), "--text-only",
                 "--pairs", "--out", str(tmp_path / "out")])
    assert code == 2 and "--pairs needs images" in capsys.readouterr().err


def test_text_only_run_on_the_simulator_makes_omni_clips_of_the_asked_length(tmp_path):
    """The whole headless run: a prompts file, Omni 4 s 360p, on a local flowsim (flow2026)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    ideas = tmp_path / "ideas.txt"
    ideas.write_text("a red kite over the sea\n")
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "FLOW_", "UPSCALE_", "STORAGE_", "PATHS_"))}
    env.update(FLOW_CANARY="false", FLOW_STEP_TIMEOUT_S="15", FLOW_POLL_INTERVAL_S="0.3",
               FLOW_SUBMIT_GAP_S="0")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--env-file", str(tmp_path / "none.env"), "batch", str(ideas),
         "--text-only", "--backend", "simulator", "--model", "Omni 1.1 Flash", "--duration", "4",
         "--resolution", "360p", "--outputs", "1", "--aspect", "16:9", "--sim-generation-seconds",
         "2", "--quiet", "--out", str(out), "--events-log", str(tmp_path / "events.jsonl")],
        cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 prompt(s), text only" in proc.stdout and "Omni 1.1 Flash 4 s 360p" in proc.stdout
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    [done] = [e for e in events if e["event"] == "item_previews"]
    clip = Path(done["clips"][0]["path"])
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=width,height:format=duration", "-of", "json", str(clip)],
                           capture_output=True, text=True, check=True)
    info = json.loads(probe.stdout)
    assert (info["streams"][0]["width"], info["streams"][0]["height"]) == (640, 360)
    assert abs(float(info["format"]["duration"]) - 4) < 0.5
