"""The page's own requests to Flow's backend (`batchexecute`), read as evidence (FLOW_2026 §7).

The 2026 page talks to `POST …/data/batchexecute?rpcids=<ID>` with a form body
`f.req=[[["<ID>","<payload JSON>",null,"generic"]]]` and answers `)]}'` + JSON
`[["wrb.fr","<ID>","<result JSON>",…]]`. The driver never sends these itself (Flow refuses
scripted calls as "unusual activity"); it only listens, to learn:

* what a submit really billed (kind by rpc id, frame media ids, model key, duration, count) and
  the media ids of the new tiles (the reply), never guessed from titles or tile counts;
* tile states from the page's own poll replies (`jwpduf`), the primary source for `poll`;
* upload media ids (`maseQ`) and picker listings (`Vz7tGb`), signed URLs (`as29s`).

Listening is harmless on the classic UI (it sends none of these).
"""

from __future__ import annotations

import json
import logging
import time
import weakref
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.async_api import Page, Request, Response

log = logging.getLogger(__name__)

MARK = "/data/batchexecute"
# rpc ids as the page sends them (FLOW_2026 §7 and docs/flowsim-2026-contract.md)
SUBMIT_KINDS = {"YhhmEf": "t2v", "eb1hJf": "i2v", "nprQif": "interpolation", "MZZa6b": "ingredients"}
POLL, UPLOAD, URLS, PICKER, UPSCALE = "jwpduf", "maseQ", "as29s", "Vz7tGb", "Qq9xPa"
OPS = "Lm2sRd"  # small page operations, Flow's Retry among them (flowsim's id)


def rpc_of(url: str) -> str | None:
    """The rpc id of a batchexecute URL, or None for any other URL."""
    if MARK not in url:
        return None
    ids = parse_qs(urlsplit(url).query).get("rpcids", [""])[0]
    return ids.split(",")[0] or None


def request_payload(request: Request) -> dict[str, Any]:
    """The decoded payload of a batchexecute request ({} when unreadable)."""
    try:
        body = request.post_data or ""
        freq = parse_qs(body).get("f.req", [""])[0]
        envelope = json.loads(freq)
        return json.loads(envelope[0][0][1])
    except (ValueError, IndexError, TypeError):
        return {}


def reply_result(text: str) -> dict[str, Any]:
    """The decoded result of a batchexecute reply ({} when unreadable)."""
    try:
        body = text.split("\n", 1)[1] if text.startswith(")]}'") else text
        rows = json.loads(body.strip())
        for row in rows:
            if row and row[0] == "wrb.fr":
                return json.loads(row[2]) if row[2] else {}
    except (ValueError, IndexError, TypeError):
        pass
    return {}


@dataclass
class Seen:
    """One media item as the page's poll last reported it."""

    media: dict[str, Any]
    at: float  # monotonic time of the reply


@dataclass
class Wire:
    """Caches of what the page's replies said, shared by every page of one client."""

    media: dict[str, Seen] = field(default_factory=dict)
    urls: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)  # by media id
    last_poll: dict[str, float] = field(default_factory=dict)  # project id -> monotonic time

    def __post_init__(self) -> None:
        self._pages: weakref.WeakSet[Page] = weakref.WeakSet()

    def attach(self, page: Page) -> None:
        """Listen to `page`'s batchexecute replies (once per page)."""
        if page in self._pages:
            return
        self._pages.add(page)
        page.on("response", self._on_response)

    async def _on_response(self, response: Response) -> None:
        if rpc_of(response.url) is None:
            return
        try:
            await self.ingest(response)
        except Exception as err:  # noqa: BLE001 - evidence is best effort; a closed page is fine
            log.debug("wire: unreadable reply: %s", type(err).__name__)

    async def ingest(self, response: Response) -> tuple[str | None, dict, dict]:
        """Read one batchexecute exchange into the caches; returns (rpc, payload, result)."""
        rpc = rpc_of(response.url)
        if rpc is None:
            return None, {}, {}
        payload = request_payload(response.request)
        result = reply_result(await response.text()) if response.ok else {}
        now = time.monotonic()
        if rpc == POLL and "media" in result:
            for m in result["media"]:
                if m.get("mediaId"):
                    self.media[m["mediaId"]] = Seen(dict(m, projectId=payload.get("projectId")), now)
            if payload.get("projectId"):
                self.last_poll[payload["projectId"]] = now
        elif rpc == URLS:
            for m in result.get("media", []):
                if m.get("mediaId"):
                    self.urls[m["mediaId"]] = m
        elif rpc == UPLOAD and result.get("mediaId"):
            self.uploads[result["mediaId"]] = dict(result)
        elif rpc == PICKER:
            for asset in result.get("assets", []):
                if asset.get("mediaId") in self.uploads:
                    self.uploads[asset["mediaId"]].update(asset)
        elif rpc in SUBMIT_KINDS:
            for op in result.get("operations", []):
                if op.get("mediaId") and op["mediaId"] not in self.media:
                    m = {"mediaId": op["mediaId"], "status": op.get("status", "PENDING"),
                         "projectId": payload.get("projectId")}
                    self.media[op["mediaId"]] = Seen(m, now)
        return rpc, payload, result
