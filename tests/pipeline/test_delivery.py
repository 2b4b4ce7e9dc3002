"""Every branch of the delivery rule, with real settings objects."""

from __future__ import annotations

import pytest

from bot.config import StorageSettings, TelegramSettings
from bot.pipeline.delivery import decide_delivery

MB = 1024 * 1024
CLOUD = TelegramSettings(_env_file=None)
LOCAL = TelegramSettings(_env_file=None, local_mode=True)
NO_R2 = StorageSettings(_env_file=None)
R2 = StorageSettings(
    _env_file=None, backend="r2", r2_endpoint_url="https://acc.r2.cloudflarestorage.com",
    r2_bucket="clips", r2_access_key_id="AKID0000", r2_secret_access_key="secret0000",
    link_expiry_s=7200,
)


@pytest.mark.parametrize("storage", [NO_R2, R2])
def test_within_the_cloud_limit_4k_goes_as_a_document(storage):
    d = decide_delivery(31 * MB, telegram=CLOUD, storage=storage)
    assert d.kind == "document"
    assert "keeps the original quality" in d.reason and d.choices == ()


def test_exactly_at_the_limit_is_still_a_file():
    assert decide_delivery(50 * MB, telegram=CLOUD, storage=NO_R2).kind == "document"


def test_a_preview_goes_as_a_playable_video():
    d = decide_delivery(4 * MB, telegram=CLOUD, storage=NO_R2, preview=True)
    assert d.kind == "video" and "4 MB" in d.reason


def test_over_the_limit_with_r2_is_a_link():
    d = decide_delivery(73 * MB, telegram=CLOUD, storage=R2)
    assert d.kind == "link"
    assert "73 MB" in d.reason and "2 hours" in d.reason


def test_over_the_cloud_limit_with_a_local_server_is_a_file():
    for storage in (NO_R2, R2):  # the local server's own limit comes first
        d = decide_delivery(300 * MB, telegram=LOCAL, storage=storage)
        assert d.kind == "document" and "self-hosted Bot API server" in d.reason


def test_over_the_local_server_limit_uses_r2_or_is_too_big():
    assert decide_delivery(2100 * MB, telegram=LOCAL, storage=R2).kind == "link"
    d = decide_delivery(2100 * MB, telegram=LOCAL, storage=NO_R2)
    assert d.kind == "too_big"
    assert not any("TELEGRAM_LOCAL_MODE" in c for c in d.choices)  # already configured


def test_too_big_without_r2_or_local_server_lists_what_works():
    d = decide_delivery(73 * MB, telegram=CLOUD, storage=NO_R2)
    assert d.kind == "too_big"
    assert "73 MB" in d.reason and "50 MB" in d.reason
    text = " ".join(d.choices)
    assert "'fast'" in text and "720p" in text
    assert "STORAGE_BACKEND=r2" in text and "TELEGRAM_LOCAL_MODE=true" in text


def test_too_big_zip_offers_parts():
    d = decide_delivery(400 * MB, telegram=CLOUD, storage=NO_R2, is_zip=True)
    assert d.kind == "too_big"
    assert d.choices[0] == "download the zip in parts of at most 50 MB each"
