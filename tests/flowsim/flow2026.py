"""An HTTP client of flowsim's flow2026 wire for the server-side tests: it speaks the
batchexecute envelope exactly as docs/flowsim-2026-contract.md fixes it (no browser)."""

from __future__ import annotations

import asyncio
import base64
import io
from urllib.parse import urlencode

import aiohttp
from PIL import Image

from flowsim.v2026 import wire

DEADLINE_S = 120
LANDSCAPE = "VIDEO_ASPECT_RATIO_LANDSCAPE"
PORTRAIT = "VIDEO_ASPECT_RATIO_PORTRAIT"


def png(colour=(40, 120, 200), size=(64, 36)) -> bytes:
    """A plain PNG of one colour."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


class Flow2026:
    """Calls the simulator's batchexecute endpoint with the account's cookie."""

    def __init__(self, http: aiohttp.ClientSession, base: str):
        self.http, self.base, self.reqid = http, base, 0

    async def raw(self, rpc_id: str | None, body: str | bytes, *, hl: str = "en",
                  content_type: str = wire.FORM_TYPE + ";charset=UTF-8") -> tuple[int, str]:
        """POST a body as is; (status, text)."""
        self.reqid += 1
        query = {"source-path": "/project", "hl": hl, "_reqid": self.reqid, "rt": "c"}
        if rpc_id is not None:
            query["rpcids"] = rpc_id
        url = f"{self.base}{wire.PATH}?{urlencode(query)}"
        async with self.http.post(url, data=body, headers={"Content-Type": content_type}) as r:
            return r.status, await r.text()

    async def send(self, rpc_id: str, payload: dict, *, hl: str = "en") -> tuple[int, str]:
        """POST one well-formed envelope; (status, text)."""
        return await self.raw(rpc_id, urlencode({"f.req": wire.encode_call(rpc_id, payload)}),
                              hl=hl)

    async def call(self, rpc_id: str, payload: dict, *, hl: str = "en") -> dict:
        """A call that must be answered 200; its result (a refusal is a result too)."""
        status, text = await self.send(rpc_id, payload, hl=hl)
        assert status == 200, (status, text)
        got_id, result = wire.decode_reply(text)
        assert got_id == rpc_id
        return result

    async def new_project(self) -> str:
        """A new project's id."""
        return (await self.call("Lm2sRd", {"op": "new_project"}))["projectId"]

    async def upload(self, project: str, name: str, data: bytes | None = None) -> dict:
        """maseQ with a PNG."""
        payload = {"projectId": project, "fileName": name, "mimeType": "image/png",
                   "imageBase64": base64.b64encode(data or png()).decode()}
        return await self.call("maseQ", payload)

    async def ready_upload(self, project: str, name: str, data: bytes | None = None) -> str:
        """Accept consent, upload, and wait until the picker lists it READY; its media id."""
        await self.call("hK3mQe", {})
        media_id = (await self.upload(project, name, data))["mediaId"]
        for _ in range(DEADLINE_S * 10):
            assets = (await self.call("Vz7tGb", {"projectId": project, "query": ""}))["assets"]
            if any(a["mediaId"] == media_id and a["state"] == "READY" for a in assets):
                return media_id
            await asyncio.sleep(0.1)
        raise AssertionError("upload never stored")

    def request(self, *, prompt="a red kite over the dunes", model_key="omni_1_1_t2v_flash",
                seconds=8, resolution="720p", aspect=LANDSCAPE, start=None, end=None,
                references=None) -> dict:
        """One R of the contract (`references`: Ingredients media ids, for MZZa6b)."""
        r = {"prompt": prompt, "modelKey": model_key, "aspectRatio": aspect,
             "durationSeconds": seconds, "resolution": resolution, "seed": 7}
        if start:
            r["startImage"] = {"mediaId": start}
        if end:
            r["endImage"] = {"mediaId": end}
        if references is not None:
            r["references"] = [{"mediaId": m} for m in references]
        return r

    async def submit(self, rpc_id: str, project: str, count: int = 1, *, trusted=None,
                     **request) -> dict:
        """A submit of `count` identical requests; its result."""
        payload = {"projectId": project, "requests": [self.request(**request)] * count}
        if trusted is not None:
            payload["trusted"] = trusted
        return await self.call(rpc_id, payload)

    async def poll(self, project: str, ids: list[str] | None = None, hl: str = "en") -> dict:
        """jwpduf; {mediaId: M}."""
        result = await self.call("jwpduf", {"projectId": project, "mediaIds": ids}, hl=hl)
        return {m["mediaId"]: m for m in result["media"]}

    async def wait(self, project: str, media_id: str, statuses: set[str], hl="en") -> dict:
        """Poll until the tile shows one of `statuses` (bounded, not a timing assertion)."""
        for _ in range(DEADLINE_S * 10):
            m = (await self.poll(project, [media_id], hl))[media_id]
            if m["status"] in statuses:
                return m
            await asyncio.sleep(0.1)
        raise AssertionError(f"{media_id} never reached {statuses}: {m}")
