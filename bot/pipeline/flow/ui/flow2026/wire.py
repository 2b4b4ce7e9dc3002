"""WIRE POSITIONS ARE DATA: where flow.google.com's positional records keep what the driver reads.

Beside `selectors.py` (the DOM) this file is the other half of what ties us to Flow:
`../shared/flow_wire/README.md` and its real captures. Every path below is a tuple of array
indices; access is tolerant (a short array, an extra position, a `null` give None, never an
exception) and no literal marker is ever tested. Positions marked **ASSUMPTION** are not in any
capture: a new capture that shows them corrects one line here (the contract tests then pin it).

The typed readers turn one exchange (rpc id, request payload, reply text) into facts: a
generation record, a submit / poll / upload / media / listing reply, a refusal, or `Unreadable`
with the raw text kept for the log. They never raise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.pipeline.flow import batchexecute as bx
from bot.pipeline.flow import modelkeys

# --- rpc ids (H unless marked) ------------------------------------------------------------------
SUBMIT_KINDS = {"YhhmEf": "t2v", "eb1hJf": "i2v", "nprQif": "interpolation", "MZZa6b": "ingredients"}
POLL, UPLOAD, MEDIA, LISTING = "jwpduf", "maseQ", "as29s", "Zzl0ze"
CATALOGUE, AVAILABILITY, CREDITS = "HTrJv", "yBhWQ", "nzlxg"  # read-only page calls (M)
# flowsim's own names where no real capture exists yet (ASSUMPTION): Flow's Retry and small ops,
# the picker listing and the upscale request.
OPS, PICKER, UPSCALE = "Lm2sRd", "Vz7tGb", "Qq9xPa"

# --- the generation record R (submit r[3][i], poll r[2][i], media reply r) -----------------------
RECORD: dict[str, tuple[int, ...]] = {
    "media_id": (0,),
    "project_id": (1,),
    "item_id": (2,),
    # (3,) is a marker: "CAE" in September, null since October (H). Never read.
    "created": (5, 0),
    "prompt": (5, 1),
    "model_key": (5, 6, 1, 0, 0),
    "inputs": (5, 6, 1, 1),
    "state": (5, 8, 0),
    "progress": (5, 8, 1),        # ASSUMPTION (L): a percentage beside the state while rendering
    "error": (5, 8, 2),           # ASSUMPTION (L): a failed record's reason text
    "poster_url": (5, 10),
    "size_bytes": (5, 13),
    "video_url": (7, 0, 8),       # only in the media reply (as29s)
    "model_key_again": (7, 0, 12),
    "duration_s": (7, 1, 2, 0),
}
# One input medium in R[5][6][1][1]: [null, type, media id].
INPUT = {"type": (1,), "media_id": (2,)}
# Input types: 4 = reference (H), 1 = start frame (M, October), end frame ASSUMPTION (L): 2.
INPUT_ROLES = {1: "start", 2: "end", 4: "reference"}
# States: 6 submitted / waiting, 2 rendering, 3 done (H); 4 failed is an ASSUMPTION (L: no capture
# of a failed record; Google's media-generation enums put FAILED right after SUCCESSFUL = 3).
STATES = {6: "queued", 2: "rendering", 3: "done", 4: "failed"}

# --- replies ---------------------------------------------------------------------------------
SUBMIT_REPLY = {"credits_after": (1,), "items": (2,), "records": (3,)}
POLL_REPLY = {"credits": (1,), "records": (2,)}
LISTING_REPLY = {"items": (1,)}
# A workflow item: [item id, null, null, [title, created, null, null, media id, client request id,
# submitted], project id] (submit reply r[2][i], listing r[1][i]).
ITEM = {"item_id": (0,), "title": (3, 0), "media_id": (3, 4), "client_request_id": (3, 5),
        "project_id": (4,)}
UPLOAD_REPLY = {"media_id": (0, 0), "project_id": (0, 1), "asset_id": (0, 2),
                "mime": (0, 6, 1, 6), "pixels": (0, 6, 2), "size_bytes": (0, 5, 13),
                "file_name": (1, 3, 0), "media_id_again": (1, 3, 4)}

# --- requests --------------------------------------------------------------------------------
# Submit payload: [[R, …], client context, [client request id, 2]]; R (one per output, ASSUMPTION
# for x2–x4: every capture is x1) = [rich prompt, input refs (absent for t2v), model key, 1, …].
SUBMIT_REQUEST = {"requests": (0,), "context": (1,), "client_request_id": (2, 0)}
CONTEXT = {"project_id": (5,)}
RICH_PROMPT_RUNS = (2, 0)        # R[0] = [null, null, [[run, …]]]; a run is [text] or [null, [[id, name]]]
REF_MEDIA_ID = (1,)              # a request's input ref: [null, media id]
UPLOAD_REQUEST = {"context": (0,), "mime": (2,), "file_name": (8,)}
POLL_REQUEST = {"ids": (2,)}     # [null, null, [[media id], …]]
MEDIA_REQUEST = {"media_id": (0,)}


@dataclass(frozen=True)
class Input:
    """One input medium of a record: its media id and role (start / end / reference)."""

    media_id: str | None
    role: str


@dataclass(frozen=True)
class Record:
    """One generated clip as a record says it."""

    media_id: str
    project_id: str | None = None
    item_id: str | None = None
    state: str = "unknown"        # queued | rendering | done | failed | unknown
    state_code: int | None = None
    progress: int | None = None
    error: str | None = None
    prompt: str | None = None
    model_key: str | None = None
    duration_s: int | None = None
    inputs: tuple[Input, ...] = ()
    size_bytes: int | None = None
    video_url: str | None = None
    poster_url: str | None = None
    created: float | None = None  # epoch seconds

    @property
    def key(self) -> modelkeys.ModelKey:
        return modelkeys.parse(self.model_key)


@dataclass(frozen=True)
class Item:
    """A workflow item (the project's entry for one clip)."""

    item_id: str | None
    media_id: str | None
    title: str | None = None
    client_request_id: str | None = None
    project_id: str | None = None


@dataclass(frozen=True)
class Refusal:
    """Flow answered the call with a status instead of a result (nothing was done)."""

    rpc: str
    status: int | None
    reason: str | None = None
    message: str | None = None
    http_status: int | None = None


@dataclass(frozen=True)
class Unreadable:
    """A reply the reader could not make sense of; `raw` is kept (shortened) for the log."""

    rpc: str
    why: str
    raw: str = ""


@dataclass(frozen=True)
class SubmitReply:
    """A submit's (or Retry's) answer: the new clips' records and workflow items."""

    records: tuple[Record, ...]
    items: tuple[Item, ...] = ()
    credits_after: int | None = None

    @property
    def media_ids(self) -> list[str]:
        ids = [r.media_id for r in self.records]
        return ids or [i.media_id for i in self.items if i.media_id]


@dataclass(frozen=True)
class PollReply:
    """A poll's answer: the current records of the clips asked about."""

    records: tuple[Record, ...]
    credits: int | None = None


@dataclass(frozen=True)
class UploadReply:
    """An upload's answer: the stored image's media id."""

    media_id: str
    project_id: str | None = None
    file_name: str | None = None
    mime: str | None = None
    size_bytes: int | None = None


@dataclass(frozen=True)
class MediaReply:
    """One clip's full record (with its signed video URL)."""

    record: Record


@dataclass(frozen=True)
class ListingReply:
    """The project's listing: a workflow item per clip."""

    items: tuple[Item, ...]


@dataclass(frozen=True)
class Other:
    """A readable answer of an rpc the driver does not interpret (kept for the log)."""

    rpc: str
    result: Any = None


@dataclass(frozen=True)
class SubmitRequest:
    """What the page's submit request asked Flow to bill (the proof of billing)."""

    rpc: str
    kind: str                     # t2v | i2v | interpolation | ingredients (by rpc id)
    model_keys: tuple[str, ...]
    prompts: tuple[str, ...]
    refs: tuple[tuple[str, ...], ...]  # per request: input media ids in order
    project_id: str | None = None
    client_request_id: str | None = None
    unreadable: str | None = None

    @property
    def count(self) -> int:
        return len(self.model_keys)

    @property
    def model_key(self) -> str | None:
        return self.model_keys[0] if self.model_keys else None

    @property
    def frame_media_ids(self) -> list[str]:
        return list(self.refs[0]) if self.refs else []


Reading = (SubmitReply | PollReply | UploadReply | MediaReply | ListingReply | Refusal | Unreadable
           | Other)


# --- tolerant access ----------------------------------------------------------------------------
def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and -(2 ** 53) <= value <= 2 ** 53:
        return value
    if isinstance(value, str) and value.isdigit() and len(value) <= 15:
        return int(value)
    return None


def _seconds(value: Any) -> float | None:
    """Epoch seconds of a `[seconds, nanos]` timestamp."""
    sec, nanos = _int(bx.at(value, (0,))), _int(bx.at(value, (1,)))
    return None if sec is None else sec + (nanos or 0) / 1e9


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _get(value: Any, spec: dict[str, tuple[int, ...]], name: str) -> Any:
    return bx.at(value, spec[name])


def record(r: Any) -> Record | None:
    """A `Record` from a positional array (None when it has no media id)."""
    mid = _str(_get(r, RECORD, "media_id"))
    # A record holds its details at R[5]; an array without them (a workflow item where a
    # record was expected, a moved position) is not read as a clip with a wrong id.
    if mid is None or not isinstance(bx.at(r, (5,)), list):
        return None
    code = _int(_get(r, RECORD, "state"))
    inputs = []
    for raw in _list(_get(r, RECORD, "inputs"))[:20]:
        if not isinstance(raw, list):
            continue  # a null or scalar among the inputs is not an input (extra positions)
        t = _int(bx.at(raw, INPUT["type"]))
        inputs.append(Input(_str(bx.at(raw, INPUT["media_id"])),
                            INPUT_ROLES.get(t, f"type_{t}") if t is not None else "unknown"))
    error = _get(r, RECORD, "error")
    return Record(
        media_id=mid,
        project_id=_str(_get(r, RECORD, "project_id")),
        item_id=_str(_get(r, RECORD, "item_id")),
        state=STATES.get(code, "unknown") if code is not None else "unknown",
        state_code=code,
        progress=_int(_get(r, RECORD, "progress")),
        error=error if isinstance(error, str) else None,
        prompt=_str(_get(r, RECORD, "prompt")),
        model_key=_str(_get(r, RECORD, "model_key")) or _str(_get(r, RECORD, "model_key_again")),
        duration_s=_int(_get(r, RECORD, "duration_s")),
        inputs=tuple(inputs),
        size_bytes=_int(_get(r, RECORD, "size_bytes")),
        video_url=_str(_get(r, RECORD, "video_url")),
        poster_url=_str(_get(r, RECORD, "poster_url")),
        created=_seconds(_get(r, RECORD, "created")),
    )


def _records(value: Any) -> tuple[Record, ...]:
    out = []
    for r in _list(value)[:1000]:
        rec = record(r)
        if rec is not None:
            out.append(rec)
    return tuple(out)


def item(it: Any) -> Item | None:
    """An `Item` from a workflow item array (None when it names no media)."""
    mid = _str(_get(it, ITEM, "media_id"))
    iid = _str(_get(it, ITEM, "item_id"))
    if mid is None and iid is None:
        return None
    return Item(iid, mid, _str(_get(it, ITEM, "title")), _str(_get(it, ITEM, "client_request_id")),
                _str(_get(it, ITEM, "project_id")))


def _items(value: Any) -> tuple[Item, ...]:
    return tuple(i for i in (item(x) for x in _list(value)[:5000]) if i is not None)


# --- replies ---------------------------------------------------------------------------------
def read_reply(rpc: str, text: str | bytes | None, http_status: int = 200) -> Reading:
    """The typed facts of one reply to `rpc`; never raises."""
    if http_status != 200:
        raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else (text or "")
        return Refusal(rpc, None, f"HTTP_{http_status}", bx.shorten(raw, 300), http_status)
    reply = bx.parse_reply(text)
    if reply.unreadable and not reply.answers:
        if reply.errors:
            code, reason, texts = bx.status_of(reply.errors[0][1:])
            return Refusal(rpc, code, reason, " ".join(texts) or None)
        return Unreadable(rpc, reply.unreadable, reply.raw)
    answer = reply.answer(rpc) or reply.answer()
    if answer is None:
        code, reason, texts = bx.status_of(reply.errors[0][1:]) if reply.errors else (None, None, ())
        return Refusal(rpc, code, reason, " ".join(texts) or None)
    if answer.refused or (answer.result is None and answer.status is not None):
        return Refusal(rpc, answer.status, answer.reason, " ".join(answer.texts) or None)
    if answer.unreadable:
        return Unreadable(rpc, answer.unreadable, reply.raw or bx.shorten(str(text)))
    return interpret(rpc, answer.result, reply.raw or (text if isinstance(text, str) else ""))


def interpret(rpc: str, r: Any, raw: str = "") -> Reading:
    """Typed facts of a decoded result `r` of `rpc`."""
    if r is None:
        return Unreadable(rpc, "an answer without a result", bx.shorten(raw))
    if rpc in SUBMIT_KINDS or rpc == OPS:
        recs = _records(_get(r, SUBMIT_REPLY, "records"))
        items = _items(_get(r, SUBMIT_REPLY, "items"))
        if not recs and not items:
            if rpc == OPS:
                return Other(rpc, r)
            return Unreadable(rpc, "the submit reply lists no generation record", bx.shorten(raw))
        return SubmitReply(recs, items, _int(_get(r, SUBMIT_REPLY, "credits_after")))
    if rpc == POLL:
        recs = _records(_get(r, POLL_REPLY, "records"))
        if not recs and not isinstance(_get(r, POLL_REPLY, "records"), list):
            return Unreadable(rpc, "the poll reply lists no records", bx.shorten(raw))
        return PollReply(recs, _int(_get(r, POLL_REPLY, "credits")))
    if rpc == UPLOAD:
        mid = _str(_get(r, UPLOAD_REPLY, "media_id")) or _str(_get(r, UPLOAD_REPLY, "media_id_again"))
        if mid is None:
            return Unreadable(rpc, "the upload reply names no media id", bx.shorten(raw))
        return UploadReply(mid, _str(_get(r, UPLOAD_REPLY, "project_id")),
                           _str(_get(r, UPLOAD_REPLY, "file_name")),
                           _str(_get(r, UPLOAD_REPLY, "mime")),
                           _int(_get(r, UPLOAD_REPLY, "size_bytes")))
    if rpc == MEDIA:
        rec = record(r)
        if rec is None:
            return Unreadable(rpc, "the media reply holds no record", bx.shorten(raw))
        return MediaReply(rec)
    if rpc == LISTING:
        return ListingReply(_items(_get(r, LISTING_REPLY, "items")))
    return Other(rpc, r)


# --- requests --------------------------------------------------------------------------------
def prompt_text(rich: Any) -> str:
    """The plain text of a rich prompt `[null, null, [[run, …]]]` (mentions by file name)."""
    parts = []
    for run in _list(bx.at(rich, RICH_PROMPT_RUNS))[:500]:
        if isinstance(run, list) and run and isinstance(run[0], str):
            parts.append(run[0])
        elif isinstance(run, list) and len(run) > 1:
            mention = bx.at(run, (1, 0, 1))
            if isinstance(mention, str):
                parts.append(mention)
    return "".join(parts)


def _request_parts(r: Any) -> tuple[str, tuple[str, ...], str | None]:
    """(prompt, input media ids, model key) of one request R. The refs element is absent for
    text-to-video, so the key is the first string after the prompt, wherever it stands."""
    rest = _list(r)[1:8]
    refs: tuple[str, ...] = ()
    key = None
    for el in rest:
        if isinstance(el, str):
            key = el
            break
        if isinstance(el, list) and not refs:
            refs = tuple(m for m in (_str(bx.at(x, REF_MEDIA_ID)) for x in el[:20]) if m)
    return prompt_text(bx.at(r, (0,))), refs, key


def read_submit_request(rpc: str, payload: Any) -> SubmitRequest:
    """What a submit request (any of `SUBMIT_KINDS`) asked for; never raises."""
    kind = SUBMIT_KINDS.get(rpc, rpc)
    requests = _list(bx.at(payload, SUBMIT_REQUEST["requests"]))[:16]
    keys, prompts, refs = [], [], []
    for r in requests:
        prompt, ids, key = _request_parts(r)
        if key is None:
            continue
        keys.append(key)
        prompts.append(prompt)
        refs.append(ids)
    ctx = bx.at(payload, SUBMIT_REQUEST["context"])
    return SubmitRequest(
        rpc, kind, tuple(keys), tuple(prompts), tuple(refs),
        project_id=_str(bx.at(ctx, CONTEXT["project_id"])),
        client_request_id=_str(bx.at(payload, SUBMIT_REQUEST["client_request_id"])),
        unreadable=None if keys else "the submit request names no model key",
    )


def poll_ids(payload: Any) -> list[str]:
    """The media ids a poll request asks about."""
    return [m for m in (_str(bx.at(x, (0,))) for x in _list(bx.at(payload, POLL_REQUEST["ids"]))[:1000]) if m]


def upload_file_name(payload: Any) -> str | None:
    """The file name an upload request carries."""
    return _str(bx.at(payload, UPLOAD_REQUEST["file_name"]))


# --- facts, for `flowbot flow wire` and the logs ---------------------------------------------------
@dataclass
class Facts:
    """What the driver reads from one exchange, under stable names."""

    rpc: str
    kind: str
    media_ids: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    model_key: str | None = None
    family: str | None = None
    duration_s: int | None = None
    inputs: list[dict] = field(default_factory=list)
    upload_id: str | None = None
    video_url: str | None = None
    credits_after: int | None = None
    project_id: str | None = None
    client_request_id: str | None = None
    refusal: dict | None = None
    unreadable: list[str] = field(default_factory=list)
    file_name: str | None = None   # upload: the file name Flow keeps (reply, else request)
    mime: str | None = None        # upload: the MIME type Flow stored (reply, else request)
    poster_url: str | None = None  # media reply: the signed poster image
    size_bytes: int | None = None  # the clip's (or upload's) size once Flow knows it

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


KIND_OF_RPC = {**{r: "submit" for r in SUBMIT_KINDS}, POLL: "poll", UPLOAD: "upload",
               MEDIA: "media", LISTING: "listing", OPS: "ops"}


def facts(rpc: str, payload: Any, reply: Reading | None) -> Facts:
    """Facts of one exchange: the request's (what was asked) and the reply's (what Flow said)."""
    f = Facts(rpc, KIND_OF_RPC.get(rpc, "other"))
    if rpc in SUBMIT_KINDS and payload is not None:
        req = read_submit_request(rpc, payload)
        f.model_key, f.project_id, f.client_request_id = req.model_key, req.project_id, req.client_request_id
        if req.unreadable:
            f.unreadable.append(f"request: {req.unreadable}")
    if isinstance(reply, Unreadable):
        f.unreadable.append(f"reply: {reply.why}")
    elif isinstance(reply, Refusal):
        f.refusal = {"status": reply.status, "reason": reply.reason, "message": reply.message,
                     "http_status": reply.http_status}
    elif isinstance(reply, SubmitReply | PollReply | MediaReply):
        recs = reply.records if not isinstance(reply, MediaReply) else (reply.record,)
        f.media_ids = [r.media_id for r in recs]
        f.states = [r.state for r in recs]
        first = recs[0] if recs else None
        if first is not None:
            f.model_key = first.model_key or f.model_key
            f.duration_s = first.duration_s
            f.inputs = [{"media_id": i.media_id, "role": i.role} for i in first.inputs]
            f.project_id = first.project_id or f.project_id
            f.video_url = first.video_url
            f.poster_url = first.poster_url
            f.size_bytes = first.size_bytes
        if isinstance(reply, SubmitReply):
            f.credits_after = reply.credits_after
            crid = next((i.client_request_id for i in reply.items if i.client_request_id), None)
            f.client_request_id = f.client_request_id or crid
        elif isinstance(reply, PollReply):
            f.credits_after = reply.credits
    elif isinstance(reply, UploadReply):
        f.upload_id, f.project_id = reply.media_id, reply.project_id
        f.file_name = reply.file_name or upload_file_name(payload)
        f.mime = reply.mime or _str(bx.at(payload, UPLOAD_REQUEST["mime"]))
        f.size_bytes = reply.size_bytes
    elif isinstance(reply, ListingReply):
        f.media_ids = [i.media_id for i in reply.items if i.media_id]
    if f.model_key:
        f.family = modelkeys.parse(f.model_key).family
    return f
