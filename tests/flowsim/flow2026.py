"""An HTTP client of flowsim's flow2026 wire for the server-side tests: it speaks Flow's real
batchexecute wire as docs/flowsim-2026-contract.md fixes it (positional payloads, the `at`
token, chunked replies) without a browser, and reads the replies with the driver's own reader
(`bot.pipeline.flow.ui.flow2026.wire`), so flowsim's replies are proven readable by it."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from PIL import Image

from bot.pipeline.flow import batchexecute as bx
from bot.pipeline.flow.ui.flow2026 import wire as W
from flowsim.v2026 import records, wire

DEADLINE_S = 120
OMNI_8S = "abra_t2v_8s"  # Omni 1.1 Flash, text-to-video, 8 s, 720p, 16:9 (the page's default)


def png(colour=(40, 120, 200), size=(64, 36)) -> bytes:
    """A plain PNG of one colour."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def runs_of(prompt: str | list) -> list:
    """Rich prompt runs: a plain string is one text run."""
    return [[prompt]] if isinstance(prompt, str) else prompt


@dataclass
class Clip:
    """One record as a poll/submit/media reply says it: the driver's reading plus flowsim's
    extras at R[8] (title, agent, preview URL, opaque thumbnail, aspect, resolution)."""

    rec: W.Record
    raw: list

    @property
    def media_id(self) -> str:
        return self.rec.media_id

    @property
    def state(self) -> str:  # queued | rendering | done | failed
        return self.rec.state

    @property
    def progress(self) -> int | None:
        return self.rec.progress

    @property
    def error(self) -> str | None:
        return self.rec.error

    def extra(self, name: str) -> Any:
        return bx.at(self.raw, (8, EXTRAS.index(name)))

    @property
    def title(self) -> str:
        return self.extra("title") or ""


EXTRAS = ("title", "agent", "preview_url", "opaque_thumbnail_url", "aspect", "resolution")


def clips(records_: list) -> list[Clip]:
    """Clips of a list of raw records."""
    return [Clip(W.record(r), r) for r in records_ if W.record(r) is not None]


class Flow2026:
    """Calls the simulator's batchexecute endpoint with the account's cookie and `at`."""

    def __init__(self, http: aiohttp.ClientSession, base: str):
        self.http, self.base, self.reqid = http, base, 0
        self._at: str | None = None

    async def at(self) -> str:
        """The session's `at` token, read from the boot data of a page (as the page does)."""
        if self._at is None:
            async with self.http.get(f"{self.base}/", allow_redirects=False) as resp:
                html = await resp.text()
            match = re.search(r"<script>window.__FLOWSIM__ = (.*?);</script>", html, re.S)
            assert match, (resp.status, html[:200])
            self._at = json.loads(match.group(1).replace("<\\/", "</"))["at"]
        return self._at

    async def raw(self, rpc_id: str | None, body: str | bytes, *, hl: str = "en",
                  content_type: str = wire.FORM_TYPE + ";charset=UTF-8") -> tuple[int, str]:
        """POST a body as is; (status, text)."""
        self.reqid += 1
        query = {"source-path": "/project", "bl": wire.BUILD_LABEL, "hl": hl,
                 "_reqid": self.reqid, "rt": "c"}
        if rpc_id is not None:
            query["rpcids"] = rpc_id
        url = f"{self.base}{wire.PATH}?{urlencode(query)}"
        headers = {"Content-Type": content_type, "X-Same-Domain": "1"}
        async with self.http.post(url, data=body, headers=headers) as r:
            return r.status, await r.text()

    async def body(self, rpc_id: str, payload: Any, at: str | None = "session") -> str:
        """A request body as the page sends it (`at=None`: without the token)."""
        token = await self.at() if at == "session" else at
        out = "f.req=" + quote(wire.encode_call(rpc_id, payload), safe="")
        return out + (f"&at={quote(token, safe='')}&" if token is not None else "&")

    async def send(self, rpc_id: str, payload: Any, *, hl: str = "en") -> tuple[int, str]:
        """POST one well-formed envelope; (status, text)."""
        return await self.raw(rpc_id, await self.body(rpc_id, payload), hl=hl)

    async def answer(self, rpc_id: str, payload: Any, *, hl: str = "en") -> tuple[Any, list | None]:
        """(decoded result, status row element) of a call that must be answered 200."""
        status, text = await self.send(rpc_id, payload, hl=hl)
        assert status == 200, (status, text)
        got_id, result, refusal = wire.decode_reply(text)
        assert got_id == rpc_id
        return result, refusal

    async def read(self, rpc_id: str, payload: Any, *, hl: str = "en") -> W.Reading:
        """A call that must be answered 200, read by the driver's reader."""
        status, text = await self.send(rpc_id, payload, hl=hl)
        assert status == 200, (status, text)
        return W.read_reply(rpc_id, text)

    async def call(self, rpc_id: str, payload: dict, *, hl: str = "en") -> dict | W.Refusal:
        """One of flowsim's own rpcs (named fields): its result, or the Refusal."""
        reading = await self.read(rpc_id, payload, hl=hl)
        if isinstance(reading, W.Refusal):
            return reading
        assert isinstance(reading, W.Other | W.SubmitReply), reading
        return reading.result if isinstance(reading, W.Other) else reading

    async def new_project(self) -> str:
        """A new project's id."""
        return (await self.call("Lm2sRd", {"op": "new_project"}))["projectId"]

    # ---- uploads -----------------------------------------------------------------------------
    def upload_payload(self, project: str, name: str | None, data: bytes | None = None,
                       mime: str = "image/png", b64: str | None = None) -> list:
        """maseQ's payload: [ctx, base64, mime, 1, …, file name at 8, null, uuid, uuid]."""
        if b64 is None:
            b64 = base64.b64encode(png() if data is None else data).decode()
        return [records.context(project, "03Atest"), b64, mime, 1, None, None, None, None, name,
                None, str(uuid.uuid4()), str(uuid.uuid4())]

    async def upload(self, project: str, name: str, data: bytes | None = None,
                     **kwargs) -> W.Reading:
        """maseQ with a PNG (answered once stored)."""
        return await self.read("maseQ", self.upload_payload(project, name, data, **kwargs))

    async def ready_upload(self, project: str, name: str, data: bytes | None = None) -> str:
        """Accept consent, upload, and wait until the picker lists it READY; its media id."""
        await self.call("hK3mQe", {})
        reading = await self.upload(project, name, data)
        assert isinstance(reading, W.UploadReply), reading
        for _ in range(DEADLINE_S * 10):
            assets = (await self.call("Vz7tGb", {"projectId": project, "query": ""}))["assets"]
            if any(a["mediaId"] == reading.media_id and a["state"] == "READY" for a in assets):
                return reading.media_id
            await asyncio.sleep(0.1)
        raise AssertionError("upload never stored")

    # ---- submits -----------------------------------------------------------------------------
    def submit_payload(self, project: str, count: int = 1, *, prompt: str | list = "a red kite "
                       "over the dunes", model_key: str = OMNI_8S, refs: list[str] | None = None,
                       trusted: bool = True, agent: bool = False, crid: str | None = None,
                       token: str | None = None) -> list:
        """`[[Q…], ctx, [client request id, 2|3]]`; `refs` None: the refs element is absent."""
        qs = [records.q(runs_of(prompt), model_key, refs, (str(uuid.uuid4()), str(uuid.uuid4())))
              for _ in range(count)]
        token = token or ("03Atrusted" if trusted else "untrusted-x")
        return [qs, records.context(project, token),
                [crid or str(uuid.uuid4()), records.AGENT_SUBMIT if agent
                 else records.PAGE_SUBMIT]]

    async def submit(self, rpc_id: str, project: str, count: int = 1, **request) -> W.Reading:
        """A submit of `count` identical requests, read (SubmitReply or Refusal)."""
        return await self.read(rpc_id, self.submit_payload(project, count, **request))

    async def submitted(self, rpc_id: str, project: str, count: int = 1,
                        **request) -> list[str]:
        """A submit that must be accepted: the new media ids."""
        reading = await self.submit(rpc_id, project, count, **request)
        assert isinstance(reading, W.SubmitReply), reading
        return reading.media_ids

    # ---- polls -------------------------------------------------------------------------------
    async def poll(self, ids: list[str], hl: str = "en") -> dict[str, Clip]:
        """jwpduf of `ids`; {media id: Clip}."""
        result, refusal = await self.answer("jwpduf", [None, None, [[m] for m in ids]], hl=hl)
        assert refusal is None, refusal
        reading = W.interpret("jwpduf", result)
        assert isinstance(reading, W.PollReply), reading
        return {c.media_id: c for c in clips(bx.at(result, W.POLL_REPLY["records"]))}

    async def listing(self, project: str) -> W.ListingReply:
        """Zzl0ze: the project's workflow items, newest first."""
        reading = await self.read("Zzl0ze", [f"projects/{project}", None, None, None, [1]])
        assert isinstance(reading, W.ListingReply), reading
        return reading

    async def project_clips(self, project: str, hl: str = "en") -> dict[str, Clip]:
        """What a loading page learns: the listing, then every listed id polled once (newest
        first)."""
        ids = [i.media_id for i in (await self.listing(project)).items]
        found = await self.poll(ids, hl) if ids else {}
        return {m: found[m] for m in ids if m in found}

    async def wait(self, media_id: str, states: set[str], hl="en") -> Clip:
        """Poll until the clip shows one of `states` (bounded, not a timing assertion)."""
        clip = None
        for _ in range(DEADLINE_S * 10):
            clip = (await self.poll([media_id], hl))[media_id]
            if clip.state in states:
                return clip
            await asyncio.sleep(0.1)
        raise AssertionError(f"{media_id} never reached {states}: {clip}")

    async def media(self, media_id: str) -> Clip:
        """as29s of one clip."""
        result, refusal = await self.answer("as29s", [media_id])
        assert refusal is None, refusal
        [clip] = clips([result])
        return clip
