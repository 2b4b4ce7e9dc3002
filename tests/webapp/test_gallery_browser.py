"""The gallery in a real browser (issue 21): Chromium opens the Mini App the way Telegram would
(the `web_app` button's URL, init data signed for the test bot token), watches the batch render
live on the real pipeline (flowsim, FFmpeg), plays a clip in place, selects clips, starts a zip,
and the journey ends with the zip delivered in the fake chat. Screenshots at phone and desktop
sizes are kept under `test-artifacts/gallery/` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import zipfile

from bot.clock import SystemClock
from bot.pipeline.flow.client import PlaywrightFlowClient
from tests.handlers.harness import ANN, eventually, image_bytes, last_with, running_bot
from tests.webapp.conftest import ARTIFACTS, PUBLIC_URL, gallery_settings

PIPELINE = {"tick_s": 0.3, "session_check_s": 0.5}
DARK = {"bg_color": "#17212b", "secondary_bg_color": "#232e3c", "text_color": "#f5f5f5",
        "hint_color": "#708499", "link_color": "#6ab3f3", "button_color": "#5288c1",
        "button_text_color": "#ffffff", "header_bg_color": "#17212b", "section_bg_color": "#17212b"}
LIGHT = {"bg_color": "#ffffff", "secondary_bg_color": "#efeff3", "text_color": "#000000",
         "hint_color": "#999999", "link_color": "#2481cc", "button_color": "#2481cc",
         "button_text_color": "#ffffff", "header_bg_color": "#ffffff", "section_bg_color": "#ffffff"}


def telegram_stub(init_data: str, theme: dict, scheme: str) -> str:
    """What telegram-web-app.js gives a page, reduced to what the gallery reads."""
    app = (f"initData: {json.dumps(init_data)}, colorScheme: {json.dumps(scheme)}, "
           f"themeParams: {json.dumps(theme)}")
    return ("window.Telegram = {WebApp: {" + app + ", ready() { window.__tgReady = true; }, "
            "expand() {}, onEvent() {}, HapticFeedback: {selectionChanged() {}}}};")


async def open_gallery(chromium, url: str, init_data: str, *, theme: dict, scheme: str,
                       viewport: dict, mobile: bool):
    context = await chromium.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile,
                                         device_scale_factor=2 if mobile else 1)
    # No internet here: Telegram's own script is refused at once (the page must not need it).
    await context.route("https://telegram.org/**", lambda route: route.abort())
    await context.add_init_script(telegram_stub(init_data, theme, scheme))
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    return context, page, errors


async def until(page, expression: str, timeout: float = 30.0) -> None:
    """Wait until `expression` is true in the page. Polled with page.evaluate: the page's CSP
    forbids eval, which Playwright's own wait_for_function uses in the page."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await page.evaluate(expression):
        if loop.time() > deadline:
            raise TimeoutError(f"not true after {timeout} s: {expression}")
        await asyncio.sleep(0.1)


async def shot(page, tmp_path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    await page.screenshot(path=str(path), full_page=False)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, ARTIFACTS / path.name)


async def test_gallery_journey_to_a_zip_in_the_chat(telegram, sim, chromium, sim_session_file, tmp_path):
    settings = gallery_settings(telegram, tmp_path / "data", sim.base_url)
    flow = PlaywrightFlowClient(settings.flow, sim_session_file, SystemClock(),
                                tmp_path / "data" / "artifacts", browser=chromium)
    await flow.start()
    try:
        async with running_bot(settings, flow_client=flow, pipeline_options=dict(PIPELINE)) as app:
            await _journey(telegram, app, chromium, tmp_path)
    finally:
        await flow.close()


async def _journey(telegram, app, chromium, tmp_path):
    await telegram.send_album(ANN, [(image_bytes(seed=i), "document", f"shot{i}.jpg") for i in range(2)],
                              caption="a paper boat drifts down a rainy street")
    card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #1"))
    await telegram.press(ANN, card.message_id, card.button_data("Start"))
    # Once started, the card offers the gallery as a web_app button (https, as Telegram needs).
    card = await telegram.wait_for(
        lambda t: (m := t.message(ANN, card.message_id)) and "Gallery" in str(m.buttons()) and m)
    launch = telegram.open_web_app(ANN, card.message_id, "Gallery")
    assert launch.url == f"{PUBLIC_URL}/gallery/?batch=1"
    local = launch.url.replace(PUBLIC_URL, app.gallery.local_url)

    context, page, errors = await open_gallery(
        chromium, local, launch.init_data, theme=DARK, scheme="dark",
        viewport={"width": 390, "height": 844}, mobile=True)
    try:
        async with page.expect_response(lambda r: "/api/batches/1?t=1" in r.url) as first:
            await page.goto(local)
        opened = await (await first.value).json()
        assert opened["live"] is True and opened["status"] == "running"
        assert await page.evaluate("window.__tgReady") is True
        # Live progress: the page fills in as clips finish, without a reload.
        await until(page, "document.querySelectorAll('.tile.ready').length === 4", timeout=150)
        await until(page, "[...document.querySelectorAll('.tile.ready img')].every(i => i.complete && i.naturalWidth > 0)")
        await until(page, "document.getElementById('progress').hidden", timeout=30)
        bg = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert bg == "rgb(35, 46, 60)"  # Telegram's dark secondary background
        await shot(page, tmp_path, "phone-dark-ready")

        # Tap a clip: it plays in place, from a signed link.
        tiles = page.locator(".tile.ready")
        await tiles.nth(0).locator(".play").click()
        await until(page,
            "(v => v && v.readyState >= 1)(document.querySelector('.tile video'))", timeout=15)
        assert "/media/" in await page.evaluate("document.querySelector('.tile video').src")

        # Select: clip 1, then all of image 2, then clip 3 off again: 2 of 4.
        await tiles.nth(0).locator(".check").click()
        await page.locator("section.item").nth(1).locator(".sel-all").click()
        await until(page, "document.getElementById('count').textContent === '3 of 4 selected'")
        await tiles.nth(2).locator(".check").click()
        await until(page, "document.getElementById('count').textContent === '2 of 4 selected'")
        chosen = [int(await tiles.nth(i).get_attribute("data-clip")) for i in (0, 3)]
        await shot(page, tmp_path, "phone-dark-selected")

        await page.locator("#act-zip").click()
        await page.locator('#sheet-buttons button[data-name="720p"]').click()
        await until(page, "!document.getElementById('toast').hidden")
        toast = await page.text_content("#toast")
        assert "Preparing" in toast and "2" in toast, toast
        assert errors == []
    finally:
        await context.close()

    # The chat: the zip arrives as it would from the view's button, with the 2 clips chosen.
    zipped = await telegram.wait_for(
        lambda t: next((m for m in t.outbox(ANN) if m.method == "sendDocument"
                        and m.files and m.files[0][1].endswith(".zip")), None), timeout=90)
    with zipfile.ZipFile(io.BytesIO(zipped.files[0][2])) as zf:
        assert sum(1 for n in zf.namelist() if n.endswith(".mp4")) == 2
    batches = app.services["batches"]
    view = await batches.get(1)
    assert sorted(c.id for c in view.selected_clips) == sorted(chosen)
    # The export is marked delivered right after Telegram took the file: the chat may see the
    # zip a moment before the row says so.
    async def delivered() -> bool:
        exports = (await batches.get(1)).exports
        return [(e.resolution, e.status) for e in exports] == [("720p", "delivered")]

    await eventually(delivered, timeout=30)
    # The review view in the chat shows the gallery's selection, and its own gallery button.
    review = await telegram.wait_for(lambda t: next(
        (m for m in t.outbox(ANN) if m.kind == "video" and "Zip selected (2)" in str(m.buttons())), None))
    assert review.web_app_url("Gallery") == f"{PUBLIC_URL}/gallery/?batch=1"

    # /gallery lists the batch with its own button.
    await telegram.send_command(ANN, "/gallery")
    listed = await telegram.wait_for(lambda t: last_with(t, ANN, "recent batches"))
    assert listed.web_app_url("#1") == f"{PUBLIC_URL}/gallery/?batch=1"

    # Desktop size, light theme: the same gallery, wider grid.
    context, page, errors = await open_gallery(
        chromium, local, telegram.web_app_init_data(ANN), theme=LIGHT, scheme="light",
        viewport={"width": 1280, "height": 800}, mobile=False)
    try:
        await page.goto(local)
        await until(page, "document.querySelectorAll('.tile.ready').length === 4")
        await until(page, "[...document.querySelectorAll('.tile.ready img')].every(i => i.complete && i.naturalWidth > 0)")
        assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(239, 239, 243)"
        assert await page.text_content("#count") == "2 of 4 selected"
        await shot(page, tmp_path, "desktop-light")
        # The list of batches (the page without ?batch=).
        await page.goto(local.split("?")[0])
        await page.wait_for_selector(".list a")
        assert "Batch #1" in await page.text_content(".list")
        assert errors == []
    finally:
        await context.close()
