"""Settings: every invalid or missing value stops start-up with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import ConfigError

GOOD_TOKEN = "123456789:AAEabcdefghijklmnopqrstuvwxyz012345"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith(("TELEGRAM_", "FLOW_", "UPSCALE_", "STORAGE_", "PATHS_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env from the checkout


def test_defaults_load_without_any_file():
    s = load_settings(None)
    assert s.flow.backend == "browser"
    assert s.flow.chromium_path == Path("/usr/bin/chromium")
    assert s.flow.render_slots == 5
    assert s.upscale.encoder == "auto"
    assert s.paths.database_path == Path("data/flowbot.sqlite3")
    assert s.session_file == Path("data/flow_session.json")


def test_env_file_and_environment_with_comma_separated_ids(tmp_path, monkeypatch):
    env = tmp_path / "custom.env"
    env.write_text(f"TELEGRAM_BOT_TOKEN={GOOD_TOKEN}\nTELEGRAM_ADMIN_IDS=11, 22\nFLOW_DEFAULT_OUTPUTS=3\n")
    monkeypatch.setenv("FLOW_DEFAULT_OUTPUTS", "4")  # the environment wins over the file
    s = load_settings(env)
    assert s.require_bot_token() == GOOD_TOKEN
    assert s.telegram.admin_ids == [11, 22]
    assert s.flow.default_outputs == 4
    assert "AAE" not in repr(s.telegram)  # SecretStr keeps the token out of reprs


def test_example_env_file_is_valid_as_shipped():
    s = load_settings(ROOT / ".env.example")
    assert s.telegram.bot_token is None  # empty values count as unset


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "TELEGRAM_BOT_TOKEN is invalid"),
        ("TELEGRAM_ADMIN_IDS", "alice,12", "TELEGRAM_ADMIN_IDS is invalid"),
        ("TELEGRAM_ALLOWED_USER_IDS", "1;x", "TELEGRAM_ALLOWED_USER_IDS is invalid"),
        ("FLOW_BACKEND", "selenium", "FLOW_BACKEND is invalid"),
        ("FLOW_DEFAULT_OUTPUTS", "9", "FLOW_DEFAULT_OUTPUTS is invalid"),
        ("FLOW_DEFAULT_ASPECT", "4:3", "FLOW_DEFAULT_ASPECT is invalid"),
        ("FLOW_DEFAULT_MODEL", "Veo 9", "FLOW_DEFAULT_MODEL is invalid"),
        ("FLOW_HEADLESS", "sometimes", "FLOW_HEADLESS is invalid"),
        ("FLOW_RENDER_SLOTS", "0", "FLOW_RENDER_SLOTS is invalid"),
        ("UPSCALE_PRESET", "ultra", "UPSCALE_PRESET is invalid"),
        ("UPSCALE_ENCODER", "quicksync", "UPSCALE_ENCODER is invalid"),
        ("STORAGE_BACKEND", "s3", "STORAGE_BACKEND is invalid"),
        ("STORAGE_LINK_EXPIRY_S", "999999999", "STORAGE_LINK_EXPIRY_S is invalid"),
        ("STORAGE_BACKEND", "r2", "STORAGE_R2_ENDPOINT_URL is required when STORAGE_BACKEND=r2"),
    ],
)
def test_each_bad_value_is_one_line_naming_the_variable(monkeypatch, var, value, expected):
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as info:
        load_settings(None)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("var", "value", "instead"),
    [
        ("FLOW_UI", "classic", "use 'auto' (the page is recognised) or 'flow2026'"),
        ("FLOW_UI", " Classic ", "use 'auto' (the page is recognised) or 'flow2026'"),
        ("FLOW_SIM_VARIANT", "classic", "use 'flow2026'"),
        ("FLOW_SIM_VARIANT", "feb2026", "use 'flow2026'"),
    ],
)
def test_a_setting_naming_the_retired_classic_ui_says_so_and_what_to_use(monkeypatch, var, value,
                                                                         instead):
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as info:
        load_settings(None)
    message = str(info.value)
    assert f"{var} is invalid" in message and "\n" not in message
    assert "retired in September 2026" in message and "support for it was removed" in message
    assert instead in message


def test_living_ui_values_load_and_other_values_name_the_living_ones(monkeypatch):
    monkeypatch.setenv("FLOW_UI", "flow2026")
    monkeypatch.setenv("FLOW_SIM_VARIANT", "flow2026")
    s = load_settings(None)
    assert (s.flow.ui, s.flow.sim_variant) == ("flow2026", "flow2026")
    monkeypatch.setenv("FLOW_UI", "aug2026")
    with pytest.raises(ConfigError) as info:
        load_settings(None)
    assert "FLOW_UI is invalid" in str(info.value) and "'flow2026'" in str(info.value)
    assert "retired" not in str(info.value)


def test_serve_with_the_retired_classic_ui_stops_with_the_reason(tmp_path):
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": GOOD_TOKEN, "FLOW_UI": "classic"}
    out = _flowbot("serve", env=env, cwd=tmp_path)
    assert out.returncode == 2
    assert "FLOW_UI is invalid" in out.stderr and "retired in September 2026" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_missing_token_explains_botfather():
    s = load_settings(None)
    with pytest.raises(ConfigError, match="@BotFather") as info:
        s.require_bot_token()
    assert "TELEGRAM_BOT_TOKEN is missing" in str(info.value)


def test_r2_complete_settings_are_accepted(monkeypatch):
    for key, value in {
        "STORAGE_BACKEND": "r2",
        "STORAGE_R2_ENDPOINT_URL": "https://acc.r2.cloudflarestorage.com",
        "STORAGE_R2_BUCKET": "clips",
        "STORAGE_R2_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "STORAGE_R2_SECRET_ACCESS_KEY": "secret-value",
    }.items():
        monkeypatch.setenv(key, value)
    s = load_settings(None)
    assert s.storage.r2_bucket == "clips"
    assert "secret-value" not in repr(s.storage)


def _flowbot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True, text=True, env={**env, "PYTHONPATH": str(ROOT)}, cwd=cwd, timeout=60,
    )


def test_serve_without_token_prints_one_line_and_no_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    out = _flowbot("serve", env=env, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "TELEGRAM_BOT_TOKEN is missing" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_serve_with_bad_value_names_it_without_traceback(tmp_path):
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": GOOD_TOKEN, "FLOW_DEFAULT_OUTPUTS": "five"}
    out = _flowbot("serve", env=env, cwd=tmp_path)
    assert out.returncode == 2
    assert "FLOW_DEFAULT_OUTPUTS is invalid" in out.stderr
    assert "Traceback" not in out.stderr
