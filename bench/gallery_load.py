"""The gallery's first screen: how soon a 40 images × 2 outputs batch shows, and what it weighs.

Run by hand: `.venv/bin/python bench/gallery_load.py [--runs 5] [--clip-seconds 8]`.
Builds the real bot (fake Bot API, real SQLite) with its gallery served, a started batch of 40
images × 2 outputs whose 80 clips are real MP4 files (one FFmpeg clip of Flow's size, copied) and
their posters made by the gallery's own `PosterCache`, then loads the gallery in Chromium at a
phone's size (390×844), a fresh context (empty cache) per run. "First screen" is the moment the
80 tiles exist and every poster inside the viewport is decoded; the weight is the bytes
transferred until then (headers and bodies, Playwright's request sizes), then after scrolling
through every poster. Side by side, on the same server and browser:

* baseline: the same 80 tiles as `<video preload="metadata">` of the clips themselves (what a
  gallery without posters shows), first screen = every video in the viewport has a frame;
* cold: the gallery again with no poster made yet (the first open of a batch: made on demand).

Target (issue 21): first screen ≤ 1 s with posters on this machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from aiohttp import web  # noqa: E402

from bot.browser import launch_chromium  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.config import WebAppSettings  # noqa: E402
from bot.storage import repo  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.telegram_app import build_bot_app  # noqa: E402
from bot.webapp.posters import poster_path  # noqa: E402
from fake_telegram import FakeTelegram  # noqa: E402
from tests.fixtures.media import make_clip  # noqa: E402
from tests.handlers.harness import ANN, bot_settings, started_batch  # noqa: E402

TOKEN = "123456789:AAE" + "g" * 32
IMAGES, OUTPUTS = 40, 2
PHONE = {"width": 390, "height": 844}
ROOT = Path(__file__).resolve().parents[1]

GALLERY_READY = """() => {
  const tiles = document.querySelectorAll('.tile.ready');
  if (tiles.length !== %d) return false;
  const shown = [...document.querySelectorAll('.tile.ready img')].filter(
      i => i.getBoundingClientRect().top < innerHeight);
  return shown.length > 0 && shown.every(i => i.complete && i.naturalWidth > 0);
}"""
BASELINE_READY = """() => {
  const shown = [...document.querySelectorAll('video')].filter(
      v => v.getBoundingClientRect().top < innerHeight);
  return shown.length > 0 && shown.every(v => v.readyState >= 2);
}"""
ALL_POSTERS = """() => [...document.querySelectorAll('.tile.ready img')].every(
    i => i.complete && i.naturalWidth > 0)"""


async def build(app, clip: Path) -> int:
    """A started batch of IMAGES images whose clips are all ready (what collect leaves)."""
    db = app.services["batches"].db
    batch_id = await started_batch(app, ANN, IMAGES, outputs=OUTPUTS)
    rows = await db.fetchall("SELECT id, position FROM items WHERE batch_id = ? ORDER BY position",
                             (batch_id,))
    folder = Path(app.settings.paths.data_dir) / "clips" / f"batch{batch_id}"
    folder.mkdir(parents=True, exist_ok=True)
    for item_id, position in rows:
        paths = []
        for v in range(1, OUTPUTS + 1):
            dest = folder / f"item{position:03d}_{item_id}_v{v}.mp4"
            shutil.copyfile(clip, dest)
            paths.append(dest)

        def tx(conn, item_id=item_id, paths=paths) -> None:
            now = db.now()
            gen = repo.insert_generation(conn, item_id=item_id, attempt=1, outputs=OUTPUTS,
                                         model="Veo 3.1 - Fast", aspect="9:16", now=now)
            for v, path in enumerate(paths, 1):
                repo.insert_clip(conn, item_id=item_id, gen_id=gen, variant=v, tile_id=f"t{gen}-{v}", now=now)
                cid = conn.execute("SELECT id FROM clips WHERE generation_id = ? AND variant = ?",
                                   (gen, v)).fetchone()[0]
                repo.set_clip(conn, cid, now, status="ready", path_720=str(path),
                              size_720=os.path.getsize(path))
            repo.set_item(conn, item_id, now, status="done", progress=100)

        await db.write_sync(tx)
    await db.execute("UPDATE batches SET status = 'done', finished_at = ? WHERE id = ?", (db.now(), batch_id))
    return batch_id


async def measure(browser, url: str, init_data: str | None, ready: str, *, scroll_all: bool) -> dict:
    """Open `url` in a fresh context; ms to `ready`, bytes until then, bytes after a full scroll."""
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    await context.route("https://telegram.org/**", lambda route: route.abort())
    if init_data is not None:
        stub = f"initData: {init_data!r}, themeParams: {{}}, ready() {{}}, expand() {{}}"
        await context.add_init_script("window.Telegram = {WebApp: {" + stub + "}};")
    page = await context.new_page()
    wire = Wire()
    await wire.attach(context, page)
    try:
        await page.goto(url, wait_until="commit")
        await until(page, ready)
        at = time.monotonic()
        ms = await page.evaluate("performance.now()")  # since this navigation started
        first, requests = wire.bytes(at)
        promised = wire.promised(at)
        total = first
        if scroll_all:
            height = await page.evaluate("document.body.scrollHeight")
            for y in range(0, height, PHONE["height"]):
                await page.evaluate(f"window.scrollTo(0, {y})")
                await asyncio.sleep(0.05)
            await until(page, ALL_POSTERS)
            await asyncio.sleep(0.2)
            total, _ = wire.bytes(time.monotonic())
        return {"ms": ms, "first_bytes": first, "total_bytes": total, "requests": requests,
                "promised": promised}
    finally:
        await context.close()


async def until(page, expression: str) -> None:
    """Poll `expression` (the gallery's CSP forbids the eval Playwright's waits use)."""
    while not await page.evaluate(expression):  # noqa: ASYNC110 - the page has no event to await
        await asyncio.sleep(0.01)


class Wire:
    """Bytes on the wire per request from Chromium's own network events (DevTools protocol):
    a finished request's encoded length (headers and body), else what arrived of a cancelled
    one (a <video>'s range requests are often cut off once it has its frame)."""

    def __init__(self) -> None:
        self.events: list[tuple[float, str, str, int]] = []

    async def attach(self, context, page) -> None:
        cdp = await context.new_cdp_session(page)
        await cdp.send("Network.enable")
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.dataReceived", lambda e: self._add(e, "data", e.get("encodedDataLength", 0)))
        cdp.on("Network.loadingFinished", lambda e: self._add(e, "done", e.get("encodedDataLength", 0)))

    def _response(self, event: dict) -> None:
        self._add(event, "head", event["response"].get("encodedDataLength", 0))
        headers = {k.lower(): v for k, v in event["response"].get("headers", {}).items()}
        length = headers.get("content-length", "0")
        self._add(event, "promised", int(length) if str(length).isdigit() else 0)

    def _add(self, event: dict, kind: str, value: float) -> None:
        self.events.append((time.monotonic(), event["requestId"], kind, int(value)))

    def promised(self, until: float) -> int:
        """Body bytes the servers answered with (Content-Length) up to `until`: an upper bound
        where the browser cut a response off."""
        return sum(v for t, _rid, kind, v in self.events if kind == "promised" and t <= until)

    def bytes(self, until: float) -> tuple[int, int]:
        """(bytes received up to `until`, requests seen by then)."""
        per: dict[str, dict[str, int]] = {}
        for t, rid, kind, value in self.events:
            if t > until or kind == "promised":
                continue
            slot = per.setdefault(rid, {"head": 0, "data": 0, "done": -1})
            if kind == "data":
                slot["data"] += value
            else:
                slot[kind] = max(slot[kind], value)
        total = sum(s["done"] if s["done"] >= 0 else s["head"] + s["data"] for s in per.values())
        return total, len(per)


def baseline_page(links: list[str], origin: str) -> str:
    tiles = "".join(
        f'<div class="t"><video preload="metadata" muted playsinline src="{origin}{link}"></video></div>'
        for link in links)
    return ("<!doctype html><meta name=viewport content='width=device-width'>"
            "<style>body{margin:0;padding:8px;background:#222}"
            ".g{display:grid;gap:6px;grid-template-columns:repeat(3,1fr)}"
            ".t{aspect-ratio:9/16;background:#000}video{width:100%;height:100%;object-fit:cover}</style>"
            f"<div class=g>{tiles}</div>")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clip-seconds", type=float, default=8.0)
    args = parser.parse_args()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    clip = out / f"gallery_clip_{args.clip_seconds:g}s.mp4"
    if not clip.exists():
        print(f"making a 720x1280 {args.clip_seconds:g} s clip with FFmpeg…", flush=True)
        make_clip(clip, 720, 1280, args.clip_seconds)
    with tempfile.TemporaryDirectory(prefix="gallery-bench-") as tmp:
        tg = FakeTelegram(TOKEN)
        await tg.start()
        settings = bot_settings(tg, Path(tmp) / "data", review_mode="view")
        settings.webapp = WebAppSettings(_env_file=None, enabled=True, port=0,  # type: ignore[call-arg]
                                         public_url="https://gallery.bench")
        db = await Database(settings.paths.database_path, SystemClock()).open()
        app = build_bot_app(settings, db)
        await app.start()
        baseline_runner = None
        try:
            batch_id = await build(app, clip)
            gallery = app.gallery
            clips = await app.services["batches"].get(batch_id)
            paths = [c.path_720 for c in clips.clips]
            started = time.perf_counter()
            await asyncio.gather(*(gallery.posters.get(p) for p in paths))
            poster_s = time.perf_counter() - started
            poster_bytes = sum(poster_path(p).stat().st_size for p in paths)
            base = gallery.local_url
            url = f"{base}/gallery/?batch={batch_id}"
            signer = gallery.deps.gallery.signer
            links = [signer.sign(c.id, "720", now=time.time()) for c in clips.clips]
            baseline_app = web.Application()
            page_html = baseline_page(links, base)
            baseline_app.router.add_get("/", lambda _r: web.Response(text=page_html, content_type="text/html"))
            baseline_runner = web.AppRunner(baseline_app, access_log=None)
            await baseline_runner.setup()
            site = web.TCPSite(baseline_runner, "127.0.0.1", 0)
            await site.start()
            baseline_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/"  # type: ignore[union-attr]

            results: dict[str, list[dict]] = {"gallery": [], "baseline": [], "cold": []}
            async with launch_chromium(settings.flow.chromium_path) as browser:
                await measure(browser, url, tg.web_app_init_data(ANN), GALLERY_READY % len(paths),
                              scroll_all=False)  # warm-up: Chromium's own first-use costs
                for _ in range(args.runs):
                    results["gallery"].append(await measure(
                        browser, url, tg.web_app_init_data(ANN), GALLERY_READY % len(paths), scroll_all=True))
                    results["baseline"].append(await measure(
                        browser, baseline_url, None, BASELINE_READY, scroll_all=False))
                    for p in paths:
                        poster_path(p).unlink(missing_ok=True)
                    results["cold"].append(await measure(
                        browser, url, tg.web_app_init_data(ANN), GALLERY_READY % len(paths), scroll_all=False))
                    await asyncio.gather(*(gallery.posters.get(p) for p in paths))
        finally:
            if baseline_runner is not None:
                await baseline_runner.cleanup()
            await app.stop()
            await db.close()
            await tg.stop()

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    clip_mb = clip.stat().st_size / 1e6
    print(f"\n{IMAGES} images × {OUTPUTS} outputs = {len(paths)} clips of {clip_mb:.1f} MB "
          f"({args.clip_seconds:g} s, 720×1280); phone viewport {PHONE['width']}×{PHONE['height']}; "
          f"median of {args.runs} runs, fresh browser cache each")
    print(f"posters: {len(paths)} made in {poster_s:.2f} s ({poster_s / len(paths) * 1000:.0f} ms each, "
          f"2 FFmpeg at a time), {poster_bytes / len(paths) / 1024:.1f} KB each")
    g_ms, b_ms, c_ms = med("gallery", "ms"), med("baseline", "ms"), med("cold", "ms")
    g_b, b_b = med("gallery", "first_bytes"), med("baseline", "first_bytes")
    print(f"first screen, gallery with posters: {g_ms:.0f} ms, {g_b / 1024:.0f} KB in "
          f"{med('gallery', 'requests'):.0f} requests (target ≤ 1000 ms)")
    print(f"whole page (scrolled through all {len(paths)} posters): {med('gallery', 'total_bytes') / 1024:.0f} KB")
    print(f"baseline, clips as <video preload=metadata>: {b_ms:.0f} ms, {b_b / 1024:.0f} KB received "
          f"in {med('baseline', 'requests'):.0f} requests, the server answered "
          f"{med('baseline', 'promised') / 1e6:.1f} MB of ranges (all {len(paths)} clips in full: "
          f"{len(paths) * clip_mb:.0f} MB)")
    print(f"cold, posters made on first open: {c_ms:.0f} ms, {med('cold', 'first_bytes') / 1024:.0f} KB")
    print(f"ratios: baseline/gallery time {b_ms / g_ms:.1f}×, bytes {b_b / g_b:.1f}×; "
          f"cold/warm time {c_ms / g_ms:.1f}×")


if __name__ == "__main__":
    asyncio.run(main())
