"""Admin /login against flowsim: a storage_state document is validated, stored 0600, verified by
opening Flow, the message carrying it is deleted, and paused work resumes. Bad files change
nothing, and the cookie never reaches a chat or a log line."""

from __future__ import annotations

import json
import logging
import os
import stat

from bot.clock import SystemClock
from bot.pipeline.flow.client import PlaywrightFlowClient
from tests.handlers.harness import ADMIN, ANN, bot_settings, image_bytes, last_with, running_bot


async def test_login_with_storage_state(telegram, sim, chromium, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    settings = bot_settings(telegram, tmp_path / "data", sim.base_url)
    session_file = settings.session_file
    good = await sim.storage_state()
    token = good["cookies"][0]["value"]
    stale = json.loads(json.dumps(good))
    stale["cookies"][0]["value"] = "stale-cookie-value"
    session_file.parent.mkdir(parents=True, exist_ok=True)
    session_file.write_text(json.dumps(stale))
    flow = PlaywrightFlowClient(settings.flow, session_file, SystemClock(),
                                tmp_path / "data" / "artifacts", browser=chromium)
    await flow.start()
    try:
        async with running_bot(settings, flow_client=flow, with_pipeline=False) as app:
            account = app.services["account"]
            await account.pause("session expired")

            await telegram.send_command(ADMIN, "/session")
            await telegram.wait_for(lambda t: last_with(t, ADMIN, "Not signed in"), timeout=30)
            await telegram.wait_for(lambda t: any(m.method == "sendPhoto" for m in t.outbox(ADMIN)))

            await telegram.send_command(ADMIN, "/login")
            await telegram.wait_for(lambda t: last_with(t, ADMIN, "storage_state"))
            # A cookies export for another site: refused, deleted, nothing stored.
            other = [{"name": "sid", "value": "x" * 20, "domain": ".example.org", "path": "/"}]
            await telegram.send_document(ADMIN, json.dumps(other).encode(), "cookies.json", "application/json")
            await telegram.wait_for(lambda t: last_with(t, ADMIN, "not a usable session"), timeout=30)
            assert json.loads(session_file.read_text())["cookies"][0]["value"] == "stale-cookie-value"

            doc = await telegram.send_document(ADMIN, json.dumps(good).encode(), "state.json", "application/json")
            await telegram.wait_for(lambda t: last_with(t, ADMIN, "Signed in to Flow"), timeout=60)
            assert telegram.message(ADMIN, doc["message_id"]).deleted
            assert "resumes" in last_with(telegram, ADMIN, "Signed in to Flow").content
            assert not (await account.state()).paused
            assert await app.services["dialogs"].get(ADMIN, ADMIN) is None

            await telegram.send_command(ADMIN, "/session")
            await telegram.wait_for(lambda t: last_with(t, ADMIN, "✅ Signed in"), timeout=30)
    finally:
        await flow.close()
    assert stat.S_IMODE(os.stat(session_file).st_mode) == 0o600
    assert json.loads(session_file.read_text())["cookies"][0]["value"] == token
    bot_texts = " ".join(m.content or "" for m in telegram.outbox(ADMIN))
    assert token not in bot_texts
    assert token not in caplog.text


async def test_expired_session_alert_then_cookies_export_login_resumes_the_batch(
        telegram, sim, chromium, tmp_path):
    settings = bot_settings(telegram, tmp_path / "data", sim.base_url)
    good = await sim.storage_state()
    stale = json.loads(json.dumps(good))
    stale["cookies"][0]["value"] = "expired-cookie-value"
    settings.session_file.parent.mkdir(parents=True, exist_ok=True)
    settings.session_file.write_text(json.dumps(stale))
    flow = PlaywrightFlowClient(settings.flow, settings.session_file, SystemClock(),
                                tmp_path / "data" / "artifacts", browser=chromium)
    await flow.start()
    try:
        async with running_bot(settings, flow_client=flow,
                               pipeline_options={"tick_s": 0.3, "session_check_s": 30.0}):
            await telegram.send_photo(ANN, image_bytes(), caption="a kite rises over the dunes")
            card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #1"))
            await telegram.press(ANN, card.message_id, card.button_data("Settings"))
            await telegram.wait_for(lambda t: "1 output" in str(t.message(ANN, card.message_id).buttons()))
            await telegram.press(ANN, card.message_id,
                                 telegram.message(ANN, card.message_id).button_data("1 output"))
            await telegram.press(ANN, card.message_id,
                                 telegram.message(ANN, card.message_id).button_data("Done"))
            await telegram.wait_for(lambda t: "Start" in str(t.message(ANN, card.message_id).buttons()))
            await telegram.press(ANN, card.message_id,
                                 telegram.message(ANN, card.message_id).button_data("Start"))

            alert = await telegram.wait_for(lambda t: last_with(t, ADMIN, "⚠️"), timeout=60)
            assert "👉" in alert.content  # the alert says what to do

            # A browser-extension export (Cookie-Editor style) of the signed-in cookies.
            c = good["cookies"][0]
            export = [{"name": c["name"], "value": c["value"], "domain": c["domain"], "path": "/",
                       "hostOnly": True, "httpOnly": True, "secure": False, "session": True,
                       "sameSite": "lax", "storeId": "0"}]
            await telegram.send_document(ADMIN, json.dumps(export).encode(), "cookies.json",
                                         "application/json", caption="/login")
            await telegram.wait_for(lambda t: last_with(t, ADMIN, "Signed in to Flow"), timeout=60)
            done = await telegram.wait_for(lambda t: last_with(t, ANN, "is finished"), timeout=90)
            assert "1 done, 0 failed" in done.content
    finally:
        await flow.close()
