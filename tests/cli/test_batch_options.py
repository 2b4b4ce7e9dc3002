"""`flowbot batch` flags for what the new Flow offers: model, duration, resolution, plan,
text-only prompts, start+end pairs and Flow's 1080p; bad combinations stop before anything runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.cli.batch import check_options, read_prompts
from bot.config import load_settings
from tests.cli.runs import ROOT, simulator_run_env
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
    args = _args("ideas.txt", "--text-only", "--model", "Omni 1.2 Flash", "--duration", "12",
                 "--resolution", "360p", "--plan", "pro", "--flow-1080p")
    assert (args.text_only, args.pairs, args.flow_1080p, args.plan) == (True, False, True, "pro")
    assert _args("x", "--prompts-only").text_only  # the alias
    settings = load_settings(None)
    assert check_options(args, settings, 3) == ("Omni 1.2 Flash", 12, "360p")
    # Any whole number Omni 1.2 allows, not only radios.
    assert check_options(_args("i", "--model", "Omni 1.2 Flash", "--duration", "13"), settings,
                         1) == ("Omni 1.2 Flash", 13, "720p")
    # Defaults: our model set explicitly (never Flow's), at its own duration/resolution.
    assert check_options(_args("frames"), settings, 2) == ("Veo 3.1 - Lite", 8, "720p")
    settings.flow.plan = "ultra"
    assert check_options(_args("f", "--duration", "4"), settings, 2) == ("Veo 3.1 - Lite", 4, "720p")
    # The free plan has no Lite: the default follows what the account has.
    settings.flow.plan = "free"
    assert check_options(_args("f"), settings, 2) == ("Omni 1.2 Flash", 8, "720p")


@pytest.mark.parametrize("argv, message", [
    (["--duration", "4"], "makes 8 s clips, not 4 s"),
    (["--model", "Omni 1.2 Flash", "--duration", "16"], "clips of 3 to 15 s on the Pro plan"),
    (["--model", "Omni 1.2 Flash", "--duration", "2"], "clips of 3 to 15 s on the Pro plan"),
    (["--model", "Omni 1.2 Flash", "--duration", "12", "--plan", "free"],
     "over 10 s need the Pro or Ultra plan; this account is on the Free plan"),
    (["--model", "Omni 1.2 Flash", "--duration", "12", "--pairs"],
     "Start+end pairs (an end frame) work up to 10 s with Omni 1.2 Flash"),
    (["--model", "Omni 1.2 Flash", "--resolution", "1080p"], "invalid choice"),
    (["--duration", "١٢"], "is not a whole number of seconds"),
    (["--duration", "99999999999999999999"], "is not a whole number of seconds"),
    (["--pairs"], "even number of images"),
    # Only where the page lists it (the Ultra $199.99 entitlement): our knowledge cannot tell.
    (["--model", "Veo 3.1 - Lite [Lower Priority]", "--plan", "ultra"], "not offered on the ultra"),
    (["--model", "Veo 3.1 - Lite [Lower Priority]", "--plan", "pro"], "not offered on the pro"),
])
def test_bad_combinations_exit_2_with_a_clear_line_before_anything_starts(tmp_path, capsys, argv,
                                                                          message):
    make_frames(tmp_path / "imgs", 3)
    try:
        code = main(["--env-file", str(tmp_path / "none.env"), "batch", str(tmp_path / "imgs"),
                     "--prompt", "slow push in", "--out", str(tmp_path / "out"), *argv])
    except SystemExit as exit_:  # argparse refuses a malformed flag itself
        code = exit_.code
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing started, nothing written


@pytest.mark.parametrize("model, since, nearest, credits", [
    ("Veo 3.1 - Fast", "2026-12-07", "Veo 3.1 - Lite", "10 credits per clip at 8 s 720p"),
    ("Veo 3.1 - Quality", "2026-12-07", "Veo 3.1 - Lite", "10 credits per clip at 8 s 720p"),
    ("Omni 1.1 Flash", "2026-12-07", "Omni 1.2 Flash", "24 credits per clip at 8 s 720p"),
])
def test_a_retired_model_is_refused_before_any_browser_naming_its_day_and_the_nearest(
        tmp_path, capsys, monkeypatch, model, since, nearest, credits):
    from bot.pipeline.flow import client

    def no_browser(*_a, **_k):  # the refusal must come before anything is opened
        raise AssertionError("a browser was started")

    monkeypatch.setattr(client.PlaywrightFlowClient, "start", no_browser)
    make_frames(tmp_path / "imgs", 2)
    code = main(["--env-file", str(tmp_path / "none.env"), "batch", str(tmp_path / "imgs"),
                 "--prompt", "slow push in", "--out", str(tmp_path / "out"), "--model", model,
                 "--backend", "simulator"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{model} was retired by Flow on {since}" in err
    assert f'use --model "{nearest}" ({credits})' in err and "Nothing was started or spent" in err
    assert not (tmp_path / "out").exists()


def test_a_retired_flow_default_model_is_refused_too(tmp_path, capsys):
    env = tmp_path / "flow.env"
    env.write_text("FLOW_DEFAULT_MODEL=Veo 3.1 - Fast\n")
    make_frames(tmp_path / "imgs", 2)
    code = main(["--env-file", str(env), "batch", str(tmp_path / "imgs"), "--prompt", "p",
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "FLOW_DEFAULT_MODEL='Veo 3.1 - Fast'" in err and "Veo 3.1 - Lite" in err


def test_a_stored_learned_catalogue_decides_what_the_cli_offers(tmp_path):
    """A survey of the simulator's October build, kept in the run's database: it still lists
    Omni 1.1 Flash, so the CLI accepts it; our knowledge alone would refuse it."""
    out = tmp_path / "out"
    settings = load_settings(None)
    args = _args(str(tmp_path / "ideas.txt"), "--text-only", "--model", "Omni 1.1 Flash",
                 "--out", str(out))
    with pytest.raises(ValueError, match="retired by Flow on 2026-12-07"):
        check_options(args, settings, 1)
    _seed_october(out)
    from bot.cli.batch import installed_from_store
    installed_from_store(args, settings)
    assert check_options(args, settings, 1) == ("Omni 1.1 Flash", 8, "720p")


def _seed_october(out: Path) -> None:
    """What `catalog.learn` stores after a survey of the October build (the run's database)."""
    import asyncio

    from tests.fixtures.catalogs import october_baseline, seed_learned

    asyncio.run(seed_learned(out / "flowbot-batch.sqlite3", october_baseline("pro")))


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
    _seed_october(out)  # the simulator's October build: its survey still lists Omni 1.1 Flash
    env = simulator_run_env()
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--env-file", str(tmp_path / "none.env"), "batch", str(ideas),
         "--text-only", "--backend", "simulator", "--model", "Omni 1.1 Flash", "--duration", "4",
         "--resolution", "360p", "--outputs", "1", "--aspect", "16:9", "--sim-generation-seconds",
         "2", "--quiet", "--out", str(out), "--events-log", str(tmp_path / "events.jsonl")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
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


def test_omni_12_for_12_seconds_on_decembers_simulator_makes_12_second_clips(tmp_path):
    """Issue 17's done criterion: `flowbot batch … --backend simulator --model "Omni 1.2 Flash"
    --duration 12` on the simulator's December build (the one users meet since 2026-12-07):
    the slider set to 12, billed per second, and the clip 12 s long."""
    import json
    import subprocess
    import sys

    from tests.services.harness import make_frames

    make_frames(tmp_path / "imgs", 1)
    out = tmp_path / "out"
    env = simulator_run_env(FLOWSIM_BUILD="december")
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--env-file", str(tmp_path / "none.env"), "batch",
         str(tmp_path / "imgs"), "--prompt", "a kite over dunes", "--backend", "simulator",
         "--model", "Omni 1.2 Flash", "--duration", "12", "--outputs", "1",
         "--sim-generation-seconds", "2", "--quiet", "--out", str(out),
         "--events-log", str(tmp_path / "events.jsonl")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    [done] = [e for e in events if e["event"] == "item_previews"]
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                            "csv=p=0", done["clips"][0]["path"]], capture_output=True, text=True,
                           check=True)
    assert abs(float(probe.stdout) - 12) < 0.3
