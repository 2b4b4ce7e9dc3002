"""`flowbot flow survey`: the baseline format and its diff (on JSON), and the page walk on
flowsim's flow2026 variant through the CLI (spends nothing: the wire shows no submit)."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import sys
from pathlib import Path

import pytest

from bot.pipeline import catalog
from bot.pipeline.flow import survey

from .flow2026 import QUIET, submits

ROOT = Path(__file__).resolve().parents[3]


def sample() -> dict:
    base = survey.new_baseline("https://flow.google.com", "flow2026")
    base.update(lang="en", plan="pro")
    base["labels"].update(buttons=["Add media menu", "Settings trigger", "Start generation"],
                          placeholder="What do you want to create?", models=["Omni 1.1 Flash", "Veo 3.1 - Fast"],
                          settings={"aspect": ["16:9", "9:16"]})
    base["elements"]["project"] = {"flow-prompt-box": 1, "button.generate-icon-button": 1}
    base["options"] = {"Omni 1.1 Flash": {"durations": [4, 6], "resolutions": ["360p", "720p"], "counts": [1, 2]},
                       "Veo 3.1 - Fast": {"durations": [], "resolutions": [], "counts": [1, 2]}}
    base["prices"] = {"Omni 1.1 Flash": {"4s 360p x1": 4, "6s 720p x2": 20},
                      "Veo 3.1 - Fast": {"x1": 20, "x2": 40}}
    return base


def test_same_build_has_no_changes_even_at_another_time():
    old, new = sample(), sample()
    new["taken_at"] = "2099-01-01T00:00:00+00:00"
    assert survey.diff(old, new) == []


def test_diff_names_each_change_in_plain_lines():
    old, new = sample(), copy.deepcopy(sample())
    new["labels"]["buttons"] = ["Add media", "Settings trigger", "Start generation"]
    new["elements"]["project"]["flow-prompt-box"] = 0
    new["options"]["Veo 3.1 - Fast"]["durations"] = [4, 6, 8]
    new["prices"]["Veo 3.1 - Fast"]["x2"] = 30
    new["prices"]["Veo 3.1 - Lite"] = {"x1": 10}
    del new["prices"]["Omni 1.1 Flash"]["4s 360p x1"]
    new["labels"]["models"].append("Veo 3.1 - Lite")
    lines = survey.diff(old, new)
    assert "labels['buttons']: +'Add media', -'Add media menu'" in lines
    assert "elements['project']['flow-prompt-box']: 1 → 0" in lines
    assert "options['Veo 3.1 - Fast']['durations']: [] → [4, 6, 8]" in lines
    assert "prices['Veo 3.1 - Fast']['x2']: 40 → 30" in lines
    assert "prices['Veo 3.1 - Lite']: new ({\"x1\": 10})" in lines
    assert "prices['Omni 1.1 Flash']['4s 360p x1']: gone (was 4)" in lines
    assert "labels['models']: +'Veo 3.1 - Lite'" in lines
    assert len(lines) == 7


def test_price_key_leaves_out_groups_without_a_row():
    assert survey.price_key(8, "720p", 2) == "8s 720p x2"
    assert survey.price_key(None, None, 3) == "x3"


def test_save_keeps_the_newest_baselines_and_load_refuses_other_json(tmp_path):
    for i in range(survey.KEEP + 3):
        b = sample()
        b["plan"] = f"p{i}"
        path = survey.save(tmp_path, b)
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
    kept = survey.baselines(tmp_path)
    assert len(kept) == survey.KEEP
    assert survey.load(survey.latest(tmp_path))["plan"] == f"p{survey.KEEP + 2}"
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": 99}))
    with pytest.raises(ValueError, match="not a survey baseline"):
        survey.load(other)
    other.write_text("{not json")
    with pytest.raises(ValueError, match="not a survey baseline"):
        survey.load(other)


# --- the page walk on flowsim's flow2026 variant --------------------------------------------------

async def run_survey(*args: str, timeout_s: str = "15") -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOW_", "PATHS_"))}
    env["FLOW_STEP_TIMEOUT_S"] = timeout_s
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--env-file", os.devnull, "flow", "survey", *args,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    return proc.returncode, out.decode()


async def test_survey_walks_flow2026_writes_a_baseline_and_diffs_a_plan_change(
        sim, flowsim_url, sim_session_file, tmp_path):
    await sim.configure(**QUIET)
    folder = tmp_path / "surveys"
    args = ("--url", f"{flowsim_url}/", "--session", str(sim_session_file), "--dir", str(folder))
    code, out = await run_survey(*args)
    assert code == 0, out
    assert "first baseline" in out
    first = survey.load(survey.latest(folder))
    assert first["generation"] == "flow2026" and first["lang"] == "en" and first["plan"] == "pro"
    assert first["labels"]["models"][:4] == ["Omni 1.1 Flash", "Veo 3.1 - Lite", "Veo 3.1 - Fast",
                                            "Veo 3.1 - Quality"]
    assert "Start generation" in first["labels"]["buttons"]
    assert first["elements"]["project"]["button.generate-icon-button"] == 1
    omni = first["options"]["Omni 1.1 Flash"]
    assert omni == {"durations": [4, 6, 8, 10], "resolutions": ["360p", "720p"], "counts": [1, 2, 3, 4]}
    # Every live quote agrees with our price table (FLOW_2026 §11, Pro).
    for model, prices in first["prices"].items():
        for key, quote in prices.items():
            parts = key.split()
            duration = int(parts[0][:-1]) if parts[0].endswith("s") else 8
            resolution = next((p for p in parts if p.endswith("p")), "720p")
            count = int(parts[-1][1:])
            per = catalog.credits_per_output(model, "pro", duration, resolution)
            assert quote == per * count, (model, key)
    assert len(first["prices"]["Omni 1.1 Flash"]) == 32

    # The account moves to Ultra: Veo offers 4/6/8 s at other prices; the diff says so.
    await sim.configure(plan="ultra")
    code, out = await run_survey(*args)
    assert code == 3, out
    assert "options['Veo 3.1 - Fast']['durations']: [] → [4, 6, 8]" in out
    assert "plan: \"pro\" → \"ultra\"" in out
    assert "prices['Veo 3.1 - Fast']['8s x1']: new (10)" in out
    assert len(survey.baselines(folder)) == 2

    # Looking cost nothing: no submit ever reached the wire.
    assert submits(await sim.wire()) == []
    assert (await sim.counters())["submissions"] == 0


async def test_survey_of_a_page_without_the_living_ui_stops_and_saves_nothing(
        sim, flowsim_url, sim_session_file, tmp_path):
    # A page with no marker of flow.google.com's UI (here a JSON document): Flow changed beyond
    # what the driver knows, so nothing is surveyed or saved.
    code, out = await run_survey("--url", f"{flowsim_url}/__sim__/config", "--session",
                                 str(sim_session_file), "--dir", str(tmp_path / "s"), timeout_s="3")
    assert code == 1 and "stopped" in out and "UI generation markers" in out, out
    assert not (tmp_path / "s").exists() or survey.latest(tmp_path / "s") is None


async def test_survey_reads_the_same_matrix_on_a_vietnamese_page(sim, flowsim_url, sim_session_file,
                                                                chromium):
    """The walk anchors on tags, ligatures and numbers, so a page in another language gives the
    same options and prices; only the labels differ (and the diff says so)."""
    from bot.config import FlowSettings

    await sim.configure(**QUIET)
    found = {}
    for lang in ("en", "vi"):
        settings = FlowSettings(_env_file=None, step_timeout_s=15.0, ui_lang=lang)  # type: ignore[call-arg]
        context = await chromium.new_context(storage_state=str(sim_session_file))
        try:
            found[lang] = await survey.survey_page(await context.new_page(), f"{flowsim_url}/", settings)
        finally:
            await context.close()
    en, vi = found["en"], found["vi"]
    assert (en["lang"], vi["lang"]) == ("en", "vi")
    assert vi["options"] == en["options"] and vi["prices"] == en["prices"]
    assert vi["labels"]["buttons"] != en["labels"]["buttons"]
    changes = survey.diff(en, vi)
    assert 'lang: "en" → "vi"' in changes
    assert not [c for c in changes if c.startswith(("options", "prices"))]
    assert submits(await sim.wire()) == []
