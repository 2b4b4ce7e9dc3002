"""The page's own requests to Flow's backend (`batchexecute`), read as evidence (FLOW_2026 §7).

The 2026 page talks to `POST …/data/batchexecute?rpcids=<ID>`. The driver never sends these
itself (Flow refuses scripted calls as "unusual activity"); it only listens, and reads every
exchange through ONE reader: `batchexecute.py` (framing) and `ui/flow2026/wire.py` (positions
as data, typed results). From the page's traffic it learns:

* what a submit really billed (kind by rpc id, input media ids, model key, count) from the
  request, and the media ids of the new clips from the reply, never from titles or tile counts;
* clip states from the page's own poll replies (`jwpduf`), the primary source for `poll`;
* upload media ids (`maseQ`), signed video URLs (`as29s`), the project's listing (`Zzl0ze`)
  with each clip's client request id: what a submit whose reply was missed is reconciled by.

A reply that cannot be read is logged with its raw text and leaves the caches as they were;
nothing here raises on Flow's bytes. Listening is harmless on pages that send none of these.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from playwright.async_api import Page, Request, Response

from bot.pipeline.flow import batchexecute as bx
from bot.pipeline.flow.ui.flow2026 import wire as W

log = logging.getLogger(__name__)

MARK = "/data/batchexecute"
SUBMIT_KINDS, POLL, UPLOAD, MEDIA, LISTING, OPS = (W.SUBMIT_KINDS, W.POLL, W.UPLOAD, W.MEDIA,
                                                    W.LISTING, W.OPS)
MAX_UNREADABLE = 50  # unreadable replies kept for `flowbot doctor` and the logs
# The replies the driver reads facts from (an unreadable one of these is worth a warning).
READ_RPCS = frozenset({*SUBMIT_KINDS, POLL, UPLOAD, MEDIA, LISTING})


def rpc_of(url: str) -> str | None:
    """The rpc id of a batchexecute URL, or None for any other URL."""
    if MARK not in url:
        return None
    ids = parse_qs(urlsplit(url).query).get("rpcids", [""])[0]
    return ids.split(",")[0] or None


def request_calls(request: Request) -> list[bx.Call]:
    """The calls of a page request ([] when it is not a readable batchexecute body)."""
    try:
        body = request.post_data
    except (UnicodeDecodeError, ValueError):
        return []
    return bx.parse_request(body)


def request_payload(request: Request):
    """The decoded payload of a request's first call (None when unreadable)."""
    calls = request_calls(request)
    return calls[0].payload if calls else None


@dataclass
class Seen:
    """One clip as the page's traffic last reported it."""

    record: W.Record
    at: float  # monotonic time of the reply


@dataclass
class Exchange:
    """One exchange as the reader understood it."""

    rpc: str
    payload: object
    reading: W.Reading


@dataclass
class Wire:
    """Caches of what the page's replies said, shared by every page of one client."""

    records: dict[str, Seen] = field(default_factory=dict)       # by media id
    items: dict[str, W.Item] = field(default_factory=dict)        # by media id
    by_request: dict[str, list[str]] = field(default_factory=dict)  # client request id → media ids
    uploads: dict[str, W.UploadReply] = field(default_factory=dict)  # by media id
    last_poll: dict[str, float] = field(default_factory=dict)     # project id → monotonic time
    credits: int | None = None                                    # the last balance seen
    unreadable: deque = field(default_factory=lambda: deque(maxlen=MAX_UNREADABLE))

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
        except Exception as err:  # noqa: BLE001 - a closed page or a body gone is fine
            log.debug("wire: reply not available: %s", type(err).__name__)

    async def ingest(self, response: Response) -> Exchange:
        """Read one batchexecute exchange into the caches (once per response)."""
        done = getattr(response, "_flowbot_exchange", None)
        if done is not None:
            return done
        rpc = rpc_of(response.url) or "?"
        calls = request_calls(response.request)
        payload = calls[0].payload if calls else None
        try:
            text = await response.text()
        except Exception as err:  # noqa: BLE001 - the body can be gone (navigation)
            reading: W.Reading = W.Unreadable(rpc, f"reply body not available: {type(err).__name__}")
        else:
            reading = W.read_reply(rpc, text, response.status)
        exchange = Exchange(rpc, payload, reading)
        self.learn(exchange)
        try:
            response._flowbot_exchange = exchange  # type: ignore[attr-defined]
        except AttributeError:
            pass
        return exchange

    def learn(self, ex: Exchange) -> None:
        """Fold one exchange into the caches (also used on replayed captures)."""
        now = time.monotonic()
        reading, rpc = ex.reading, ex.rpc
        if isinstance(reading, W.Unreadable):
            if rpc not in READ_RPCS:
                # A call the driver does not read (a page bookkeeping call whose body went with
                # a navigation): nothing is missing.
                log.debug("wire: %s reply not read (%s)", rpc, reading.why)
                return
            self.unreadable.append((time.time(), rpc, reading.why, reading.raw))
            log.warning("wire: could not read the %s reply (%s): %s", rpc, reading.why,
                        bx.shorten(reading.raw, 300))
            return
        if isinstance(reading, W.SubmitReply):
            self._records(reading.records, now)
            self._items(reading.items)
            if reading.credits_after is not None:
                self.credits = reading.credits_after
            sent = W.read_submit_request(rpc, ex.payload) if rpc in SUBMIT_KINDS else None
            if sent is not None and sent.client_request_id:
                self.by_request[sent.client_request_id] = reading.media_ids
        elif isinstance(reading, W.PollReply):
            self._records(reading.records, now)
            for pid in {r.project_id for r in reading.records if r.project_id}:
                self.last_poll[pid] = now
            if reading.credits is not None:
                self.credits = reading.credits
        elif isinstance(reading, W.MediaReply):
            self._records((reading.record,), now)
        elif isinstance(reading, W.UploadReply):
            self.uploads[reading.media_id] = reading
        elif isinstance(reading, W.ListingReply):
            self._items(reading.items)
            pid = _listed_project(ex.payload)
            if pid:
                self.last_poll[pid] = now  # the page just learnt its project's clips

    def _records(self, records, now: float) -> None:
        for rec in records:
            old = self.records.get(rec.media_id)
            if old is not None:
                # A poll reply carries no URLs: keep what the media reply said.
                rec = _merge(old.record, rec)
            self.records[rec.media_id] = Seen(rec, now)

    def _items(self, items) -> None:
        for it in items:
            if it.media_id:
                self.items[it.media_id] = it
                if it.client_request_id:
                    ids = self.by_request.setdefault(it.client_request_id, [])
                    if it.media_id not in ids:
                        ids.append(it.media_id)

    def project_of(self, media_id: str) -> str | None:
        """The project a clip belongs to, by what the wire said."""
        seen = self.records.get(media_id)
        if seen is not None and seen.record.project_id:
            return seen.record.project_id
        it = self.items.get(media_id)
        return it.project_id if it else None

    def title_of(self, media_id: str) -> str:
        it = self.items.get(media_id)
        return (it.title if it else None) or ""


def _merge(old: W.Record, new: W.Record) -> W.Record:
    from dataclasses import replace

    keep = {}
    for name in ("video_url", "poster_url", "size_bytes", "duration_s", "model_key", "prompt",
                 "project_id", "item_id"):
        if getattr(new, name) is None and getattr(old, name) is not None:
            keep[name] = getattr(old, name)
    if not new.inputs and old.inputs:
        keep["inputs"] = old.inputs
    return replace(new, **keep) if keep else new


def _listed_project(payload) -> str | None:
    """The project id of a listing request `["projects/<id>", …]`."""
    first = bx.at(payload, (0,))
    if isinstance(first, str) and first.startswith("projects/"):
        return first.split("/", 1)[1] or None
    return None
