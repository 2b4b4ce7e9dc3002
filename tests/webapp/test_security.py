"""The gallery's security, over real HTTP against the bot's own aiohttp app (issue 21).

Telegram's signature is checked on every API request (aiogram's implementation) and must be
fresh; a batch is shown to its owner or an admin only, and only its owner may act; media are
served by signed short-lived links only. Every refused request changes nothing: the database
is compared before and after.
"""

from __future__ import annotations

import time

from bot.clock import FakeClock
from bot.webapp.links import MediaSigner, media_key
from fake_telegram.webapps import sign_init_data
from tests.handlers.harness import (
    ADMIN,
    ANN,
    BOB,
    STRANGER,
    finish_item,
    item_ids,
    running_bot,
    started_batch,
)
from tests.webapp.conftest import (
    Client,
    gallery_settings,
    state_of,
)

MAX_AGE = 600


async def test_signature_freshness_owner_and_refusals_change_nothing(telegram, tmp_path, clip_file, http):
    clock = FakeClock(time.time())
    settings = gallery_settings(telegram, tmp_path / "data", init_data_max_age_s=MAX_AGE)
    async with running_bot(settings, clock=clock) as app:
        batch_id = await started_batch(app, ANN, 2)
        items = await item_ids(app, batch_id)
        clips = await finish_item(app, items[0], clip_file)
        base = app.gallery.local_url
        ann = Client(http, base, telegram.web_app_init_data(ANN, auth_date=clock.now()))
        status, data = await ann.get(f"/api/batches/{batch_id}?t=1")
        assert status == 200, data
        assert [c["id"] for c in data["items"][0]["clips"]] == clips and data["may_act"]
        assert data["texts"]["select_all"] == "Select all"
        assert data["items"][1]["clips"] == [] and data["live"]

        before = await state_of(app)
        attempts = {
            "no header": Client(http, base, None),
            "bad signature (another bot's token)": Client(http, base, sign_init_data(
                "987654321:AAE" + "x" * 32, {"id": ANN, "first_name": "Ann"}, auth_date=clock.now())),
            "tampered user": Client(http, base, ann.init_data.replace(f"%22id%22%3A{ANN}", f"%22id%22%3A{BOB}")),
            "no hash": Client(http, base, "user=%7B%22id%22%3A2002%7D&auth_date=1"),
            "stale auth_date": Client(http, base, telegram.web_app_init_data(ANN, auth_date=clock.now() - MAX_AGE - 5)),
            "from the future": Client(http, base, telegram.web_app_init_data(ANN, auth_date=clock.now() + 3600)),
            "far too long": Client(http, base, "x" * 5000),
        }
        assert attempts["tampered user"].init_data != ann.init_data
        for name, client in attempts.items():
            for call in (client.get(f"/api/batches/{batch_id}"), client.get("/api/batches"),
                         client.post(f"/api/batches/{batch_id}/zip", {"clip_ids": clips, "resolution": "720p"}),
                         client.post(f"/api/batches/{batch_id}/selection", {"clip_ids": clips})):
                status, body = await call
                assert status == 401, (name, status, body)
                assert body["error"] == "auth"
        # Replayed: the data that worked a moment ago, once older than the limit.
        clock.advance(MAX_AGE + 1)
        status, body = await ann.post(f"/api/batches/{batch_id}/selection", {"clip_ids": clips})
        assert status == 401 and body["error"] == "auth"
        assert await state_of(app) == before

        # Fresh data again; another user's batch (403), a stranger (403), a forged batch id.
        fresh = telegram.web_app_init_data(ANN, auth_date=clock.now())
        ann = Client(http, base, fresh)
        bob = Client(http, base, telegram.web_app_init_data(BOB, auth_date=clock.now()))
        stranger = Client(http, base, telegram.web_app_init_data(STRANGER, auth_date=clock.now()))
        bob_batch = await started_batch(app, BOB, 1)
        before = await state_of(app)
        assert (await bob.get(f"/api/batches/{batch_id}"))[0] == 403
        assert (await ann.get(f"/api/batches/{bob_batch}"))[0] == 403
        for path, body in ((f"/api/batches/{batch_id}/selection", {"clip_ids": clips}),
                           (f"/api/batches/{batch_id}/zip", {"clip_ids": [], "resolution": "720p"}),
                           (f"/api/batches/{batch_id}/upscale", {"clip_ids": clips, "preset": "fast"}),
                           (f"/api/batches/{batch_id}/flow1080", {"clip_ids": clips}),
                           (f"/api/batches/{batch_id}/again/quote", {"item_id": items[0]}),
                           (f"/api/batches/{batch_id}/again", {"item_id": items[0], "ticket": 0})):
            status, answer = await bob.post(path, body)
            assert status == 403, (path, status, answer)
            assert answer["message"] == "This batch belongs to someone else."
            assert (await stranger.post(path, body))[0] == 403
        assert (await stranger.get("/api/batches"))[0] == 403
        # Ann's own request naming Bob's clip: refused as a whole.
        bob_items = await item_ids(app, bob_batch)
        bob_clips = await finish_item(app, bob_items[0], clip_file)
        before = await state_of(app)
        status, answer = await ann.post(f"/api/batches/{batch_id}/zip",
                                        {"clip_ids": [clips[0], bob_clips[0]], "resolution": "720p"})
        assert status == 403, answer
        assert await state_of(app) == before

        # The admin may look (read only); acting on someone else's batch stays refused.
        admin = Client(http, base, telegram.web_app_init_data(ADMIN, auth_date=clock.now()))
        status, seen = await admin.get(f"/api/batches/{batch_id}")
        assert status == 200 and seen["may_act"] is False
        assert (await admin.post(f"/api/batches/{batch_id}/selection", {"clip_ids": clips}))[0] == 403
        assert await state_of(app) == before

        # Bounded parsing: every malformed input is a 400/404/413 and changes nothing.
        bad = [
            (f"/api/batches/{batch_id}/selection", {"clip_ids": [True]}),
            (f"/api/batches/{batch_id}/selection", {"clip_ids": [-1]}),
            (f"/api/batches/{batch_id}/selection", {"clip_ids": [2**60]}),
            (f"/api/batches/{batch_id}/selection", {"clip_ids": "1,2"}),
            (f"/api/batches/{batch_id}/selection", {"clip_ids": list(range(1001))}),
            (f"/api/batches/{batch_id}/zip", {"clip_ids": clips, "resolution": "8k"}),
            (f"/api/batches/{batch_id}/upscale", {"clip_ids": clips, "preset": "ultra"}),
            (f"/api/batches/{batch_id}/again", {"item_id": items[0], "ticket": "0"}),
            (f"/api/batches/{batch_id}/again", {"item_id": items[0], "ticket": 0, "prompt": "x" * 9000}),
            (f"/api/batches/{batch_id}/again", {"item_id": items[0], "ticket": 0, "prompt": "  "}),
            (f"/api/batches/{batch_id}/again/quote", {"item_id": 999999}),
        ]
        for path, body in bad:
            status, answer = await ann.post(path, body)
            assert status in (400, 404), (path, body, status, answer)
            assert answer["message"]
        for raw in (b"[1, 2]", b"{not json", b"\xff\xfe", b'{"clip_ids": [' + b"1," * 9000 + b"1]}"):
            status, _ = await ann.post(f"/api/batches/{batch_id}/selection", raw=raw)
            assert status in (400, 413), (raw[:20], status)
        assert (await ann.get("/api/batches/9999999999999999"))[0] == 404  # 16 digits: no route
        assert (await ann.get("/api/batches/99999999"))[0] == 404
        assert (await ann.get("/api/batches/1e3"))[0] == 404
        assert await state_of(app) == before

        # A proper request works (and is the chat's own selection afterwards).
        status, answer = await ann.post(f"/api/batches/{batch_id}/selection", {"clip_ids": clips[:1]})
        assert status == 200 and answer["message"] == "1 clip(s) selected."
        selected = [c.id for c in (await app.services["batches"].get(batch_id)).selected_clips]
        assert selected == clips[:1]


async def test_media_only_by_signed_fresh_links(telegram, tmp_path, clip_file, http):
    clock = FakeClock(time.time())
    settings = gallery_settings(telegram, tmp_path / "data", media_link_ttl_s=120)
    async with running_bot(settings, clock=clock) as app:
        batch_id = await started_batch(app, ANN, 1)
        [clip, _other] = await finish_item(app, (await item_ids(app, batch_id))[0], clip_file)
        base = app.gallery.local_url
        ann = Client(http, base, telegram.web_app_init_data(ANN, auth_date=clock.now()))
        _, data = await ann.get(f"/api/batches/{batch_id}")
        tile = data["items"][0]["clips"][0]
        assert tile["video"].startswith(f"/media/{clip}/720?e=") and tile["poster"].startswith(f"/media/{clip}/poster?e=")

        async with http.get(base + tile["video"]) as r:
            assert r.status == 200 and await r.read() == clip_file.read_bytes()
        async with http.get(base + tile["video"], headers={"Range": "bytes=0-99"}) as r:
            assert r.status == 206 and len(await r.read()) == 100  # seekable in the page's player
        async with http.get(base + tile["poster"]) as r:
            poster = await r.read()
            assert r.status == 200 and r.content_type == "image/jpeg" and poster[:2] == b"\xff\xd8"

        path, _, query = tile["video"].partition("?")
        expires, sig = (part.split("=", 1)[1] for part in query.split("&"))
        refused = [
            f"/media/{clip}/720",                                    # guessed: no signature
            f"/media/{clip}/720?e={expires}",
            f"/media/{clip}/720?e={expires}&s={'0' * 64}",           # forged signature
            f"/media/{clip}/720?e={int(expires) + 1}&s={sig}",       # expiry stretched
            f"/media/{clip + 1}/720?e={expires}&s={sig}",            # another clip, same signature
            f"/media/{clip}/4k?e={expires}&s={sig}",                 # another kind
            f"/media/0{clip}/720?e={expires}&s={sig}",               # another spelling
            f"/media/{clip}/720?e={expires}&s={sig.upper()}",
        ]
        for url in refused:
            async with http.get(base + url) as r:
                assert r.status == 403, url
                assert b"\x00\x00\x00" not in await r.read()  # no MP4 bytes
        for url in ("/media/../../bot/config.py", f"/media/{clip}/../../flowbot.sqlite3",
                    "/gallery/static/../../config.py", "/gallery/static/%2e%2e/routes.py",
                    "/media/x/720", f"/data/clips/batch{batch_id}/"):
            async with http.get(base + url) as r:
                assert r.status in (403, 404), url
                assert b"SQLite" not in await r.read()

        # Signed by us, but for a clip that does not exist: nothing to serve.
        signer = MediaSigner(media_key(settings), settings.webapp.media_link_ttl_s)
        async with http.get(base + signer.sign(999999, "720", now=clock.now())) as r:
            assert r.status == 404
        # Expired: the same link once its time is up.
        clock.advance(int(expires) - clock.now() + 1)
        async with http.get(base + tile["video"]) as r:
            assert r.status == 403
