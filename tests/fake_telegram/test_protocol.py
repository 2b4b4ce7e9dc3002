"""The wire format other clients see: JSON, urlencoded and multipart bodies, exact shapes."""

from __future__ import annotations

import json

import aiohttp
import pytest


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def test_error_shapes_over_raw_http(telegram, bot_token, ann, http):
    url = f"{telegram.base_url}/bot{bot_token}"
    telegram.flood(retry_after=3)
    async with http.post(f"{url}/sendMessage", json={"chat_id": ann.id, "text": "hi"}) as resp:
        assert resp.status == 429
        assert await resp.json() == {
            "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3}}
    async with http.get(f"{url}/sendMessage", params={"chat_id": str(ann.id)}) as resp:
        assert await resp.json() == {"ok": False, "error_code": 400,
                                     "description": "Bad Request: message text is empty"}
    async with http.post(f"{url}/noSuchMethod") as resp:
        assert (resp.status, await resp.json()) == (
            404, {"ok": False, "error_code": 404, "description": "Not Found"})
    async with http.post(f"{telegram.base_url}/bot1:wrong/getMe") as resp:
        assert (resp.status, await resp.json()) == (
            401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    async with http.get(f"{telegram.base_url}/file/bot{bot_token}/documents/nope.bin") as resp:
        assert resp.status == 404


async def test_json_and_form_bodies_are_both_understood(telegram, bot_token, ann, http):
    url = f"{telegram.base_url}/bot{bot_token}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    async with http.post(url, json={"chat_id": ann.id, "text": "json",
                                    "reply_markup": markup}) as resp:
        body = await resp.json()
    assert body["ok"] is True and body["result"]["reply_markup"] == markup
    form = {"chat_id": str(ann.id), "text": "form", "reply_markup": json.dumps(markup)}
    async with http.post(url, data=form) as resp:
        assert (await resp.json())["result"]["text"] == "form"
    async with http.post(url, json={"chat_id": ann.id, "text": "x",
                                    "reply_markup": "{not json"}) as resp:
        assert (await resp.json())["description"] == (
            "Bad Request: can't parse reply keyboard markup JSON object")
    assert [m.text for m in telegram.outbox(ann.id)] == ["json", "form"]


async def test_multipart_file_directly_under_its_field_name(telegram, bot_token, ann, http):
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ann.id))
    form.add_field("document", b"%PDF-1.7", filename="guide.pdf",
                   content_type="application/pdf")
    async with http.post(f"{telegram.base_url}/bot{bot_token}/sendDocument", data=form) as resp:
        result = (await resp.json())["result"]
    assert result["document"]["file_name"] == "guide.pdf"
    assert result["document"]["mime_type"] == "application/pdf"
    async with http.post(f"{telegram.base_url}/bot{bot_token}/getFile",
                         json={"file_id": result["document"]["file_id"]}) as resp:
        path = (await resp.json())["result"]["file_path"]
    async with http.get(f"{telegram.base_url}/file/bot{bot_token}/{path}") as resp:
        assert await resp.read() == b"%PDF-1.7"


async def test_get_updates_limit_and_negative_offset(telegram, tg_bot, ann):
    for text in ("one", "two", "three"):
        await telegram.send_text(ann, text)
    assert [u.message.text for u in await tg_bot.get_updates(limit=1, timeout=0)] == ["one"]
    assert [u.message.text for u in await tg_bot.get_updates(offset=-1, timeout=0)] == ["three"]
