"""Flow's positional records as flowsim writes and reads them (docs/flowsim-2026-contract.md,
"The page's wire"): the generation record R, the workflow item I, the submit / poll / media /
listing / upload results, and the shapes of the requests the page sends. No field names travel:
every position below is the real one of `../shared/flow_wire/`, or an ASSUMPTION marked here,
each in one constant so a new capture corrects one line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flowsim.v2026.wire import BadRequest

# ---- values no capture shows (ASSUMPTION unless marked) ------------------------------------------
STATE_QUEUED = 6      # H: submitted, no render slot yet (every record of a submit reply says 6)
STATE_RENDERING = 2   # H
STATE_DONE = 3        # H
STATE_FAILED = 4      # ASSUMPTION: no capture of a failed record
PROGRESS_AT = 1       # ASSUMPTION: R[5][8][1], the percent beside state 2 (a failed clip keeps it)
ERROR_AT = 2          # ASSUMPTION: R[5][8][2], a failed clip's reason in the page language
INPUT_START = 1       # M: R[5][6][1][1][i][1] of a start frame (October i2v capture)
INPUT_END = 2         # ASSUMPTION: the end frame of a start+end clip
INPUT_REFERENCE = 4   # H: an Ingredients reference image
# R[5][6][1][0] = [model key, n, [m], null, 1, 1]: (n, [m]) per kind. H for t2v (1, null) and
# r2v (3, [5]); ASSUMPTION for i2v and start+end. Never read by the driver.
MODEL_SPEC: dict[str, tuple[int, list | None]] = {
    "t2v": (1, None), "i2v": (2, None), "fl": (2, None), "r2v": (3, [5]),
}
CLIENT_KIND = 22             # H: ctx[1] of every request of the web page
PAGE_SUBMIT, AGENT_SUBMIT = 2, 3  # H: ["<client request id>", 2]; 3 = the agent composer (flowsim)
UNTRUSTED_PREFIX = "untrusted-"   # (flowsim) the reCAPTCHA token of an untrusted click
MAX_POLL_IDS = 100
MAX_RUNS = 500
MAX_OUTPUTS = 4
UPLOAD_STATE_STORED = 1      # H: R[5][6][4] of an upload record ([null,null,null,null,1])

# ---- request positions (H unless marked) ---------------------------------------------------------
CTX_PROJECT, CTX_RECAPTCHA = 5, 10        # ctx = [null, 22, …, "<project id>", …, [token, 1]]
SUBMIT_QS, SUBMIT_CTX, SUBMIT_CLIENT = 0, 1, 2  # [[Q…], ctx, ["<client request id>", 2]]
UPLOAD_CTX, UPLOAD_B64, UPLOAD_MIME, UPLOAD_NAME = 0, 1, 2, 8
POLL_IDS = 2                              # [null, null, [["<media id>"], …]]
LISTING_PREFIX = "projects/"              # ["projects/<project id>", null, null, null, [1]]


def ts(t: float) -> list[int]:
    """A `[seconds, nanos]` timestamp."""
    whole = int(t)
    return [whole, min(999_999_000, int(round((t - whole) * 1e9)) // 1000 * 1000)]


def _trim(values: list) -> list:
    """A positional array without its empty trailing positions (as protobuf JSON drops them)."""
    out = list(values)
    while out and out[-1] is None:
        out.pop()
    return out


# ---- requests -------------------------------------------------------------------------------------
@dataclass
class Ask:
    """One Q of a submit: its prompt (rich runs and plain text), input refs, model key."""

    runs: list
    prompt: str
    refs: list[str] | None  # None: the refs element is absent (text-to-video)
    model_key: str


@dataclass
class SubmitAsk:
    """A submit request as the page sent it."""

    asks: list[Ask]
    project_id: str
    token: str
    client_request_id: str
    agent: bool = False
    mentions: list[str] = field(default_factory=list)

    @property
    def trusted(self) -> bool:
        return not self.token.startswith(UNTRUSTED_PREFIX)


def _at(value: Any, *path: int) -> Any:
    for i in path:
        if not isinstance(value, list) or not 0 <= i < len(value):
            return None
        value = value[i]
    return value


def context_project(ctx: Any) -> tuple[str, str]:
    """(project id, reCAPTCHA token) of a client context; BadRequest when it is not one."""
    project, recaptcha = _at(ctx, CTX_PROJECT), _at(ctx, CTX_RECAPTCHA)
    if (not isinstance(ctx, list) or _at(ctx, 1) != CLIENT_KIND or not isinstance(project, str)
            or not isinstance(recaptcha, list) or not recaptcha
            or not isinstance(recaptcha[0], str)):
        raise BadRequest('ctx must be [null,22,null,null,null,"<project id>",null,null,null,null,'
                         '["<recaptcha token>",1]]')
    return project, recaptcha[0]


def read_runs(rich: Any) -> tuple[list, str, list[str]]:
    """(runs, plain text, mentioned media ids) of a rich prompt `[null, null, [[run, …]]]`.
    A run is `["text"]` or a mention `[null, [["<media id>", "<file name>"]]]` (H)."""
    runs = _at(rich, 2, 0)
    if not isinstance(rich, list) or not isinstance(runs, list) or len(runs) > MAX_RUNS:
        raise BadRequest("a prompt must be [null,null,[[<runs>]]]")
    text, mentions = [], []
    for run in runs:
        if isinstance(run, list) and len(run) == 1 and isinstance(run[0], str):
            text.append(run[0])
            continue
        mention = _at(run, 1, 0)
        if (isinstance(run, list) and len(run) == 2 and run[0] is None
                and isinstance(mention, list) and len(mention) == 2
                and all(isinstance(x, str) and x for x in mention)):
            text.append(mention[1])
            mentions.append(mention[0])
            continue
        raise BadRequest('a prompt run is ["text"] or [null,[["<media id>","<file name>"]]]')
    return runs, "".join(text), mentions


def _read_q(q: Any) -> tuple[Ask, list[str]]:
    if not isinstance(q, list) or len(q) < 2:
        raise BadRequest("a request must be [<prompt>, [refs]?, <model key>, 1, …]")
    runs, prompt, mentions = read_runs(q[0])
    refs: list[str] | None = None
    if isinstance(q[1], str):
        key = q[1]
    elif isinstance(q[1], list) and len(q) > 2 and isinstance(q[2], str):
        refs = []
        for ref in q[1]:
            if (not isinstance(ref, list) or len(ref) != 2 or ref[0] is not None
                    or not isinstance(ref[1], str)):
                raise BadRequest('an input ref is [null,"<media id>"]')
            refs.append(ref[1])
        key = q[2]
    else:
        raise BadRequest("a request names no model key")
    return Ask(runs, prompt, refs, key), mentions


def read_submit(payload: Any) -> SubmitAsk:
    """A submit payload `[[Q…], ctx, ["<client request id>", 2|3]]`; BadRequest when it is not
    one (one Q per output: ASSUMPTION for x2–x4, every capture is x1)."""
    qs, client = _at(payload, SUBMIT_QS), _at(payload, SUBMIT_CLIENT)
    if not isinstance(qs, list) or not 1 <= len(qs) <= MAX_OUTPUTS:
        raise BadRequest(f"requests: one per output, 1 to {MAX_OUTPUTS}")
    project, token = context_project(_at(payload, SUBMIT_CTX))
    if (not isinstance(client, list) or len(client) != 2 or not isinstance(client[0], str)
            or not client[0] or client[1] not in (PAGE_SUBMIT, AGENT_SUBMIT)):
        raise BadRequest('the submit must end with ["<client request id>",2]')
    asks, mentions = [], []
    for q in qs:
        ask, found = _read_q(q)
        asks.append(ask)
        mentions.extend(m for m in found if m not in mentions)
    return SubmitAsk(asks, project, token, client[0], client[1] == AGENT_SUBMIT, mentions)


@dataclass
class UploadAsk:
    """An upload request: `[ctx, "<base64>", "<mime>", 1, …, "<file name>" at 8, …]` (H)."""

    project_id: str
    b64: Any
    mime: str
    file_name: str


def read_upload(payload: Any, max_name: int) -> UploadAsk:
    """The upload payload; BadRequest when malformed (also a missing or blank file name)."""
    project, _token = context_project(_at(payload, UPLOAD_CTX))
    name, mime = _at(payload, UPLOAD_NAME), _at(payload, UPLOAD_MIME)
    if not isinstance(name, str) or not name.strip() or len(name) > max_name:
        raise BadRequest(f"the file name (position {UPLOAD_NAME}) must be 1 to {max_name} "
                         "characters")
    if not isinstance(mime, str):
        raise BadRequest("the MIME type must be a string")
    return UploadAsk(project, _at(payload, UPLOAD_B64), mime, name)


def read_poll(payload: Any) -> list[str]:
    """The ids of a poll `[null, null, [["<media id>"], …]]` (at most 100)."""
    ids = _at(payload, POLL_IDS)
    if (not isinstance(ids, list) or len(ids) > MAX_POLL_IDS
            or not all(isinstance(x, list) and len(x) == 1 and isinstance(x[0], str)
                       for x in ids)):
        raise BadRequest(f'a poll is [null,null,[["<media id>"],…]] with at most {MAX_POLL_IDS}')
    return [x[0] for x in ids]


def read_media(payload: Any) -> str:
    """The id of a media request `["<media id>"]`."""
    if not isinstance(payload, list) or len(payload) != 1 or not isinstance(payload[0], str):
        raise BadRequest('a media request is ["<media id>"]')
    return payload[0]


def read_listing(payload: Any) -> str:
    """The project id of a listing `["projects/<project id>", null, null, null, [1]]`."""
    name = _at(payload, 0)
    if not isinstance(name, str) or not name.startswith(LISTING_PREFIX):
        raise BadRequest('a listing is ["projects/<project id>",null,null,null,[1]]')
    return name[len(LISTING_PREFIX):]


# ---- what the page sends, built the same way (flowsim's tests and tools) ---------------------------
def context(project_id: str, token: str) -> list:
    """A client context `ctx` (H)."""
    return [None, CLIENT_KIND, None, None, None, project_id, None, None, None, None, [token, 1]]


def rich_prompt(runs: list) -> list:
    """`[null, null, [[run, …]]]` (H)."""
    return [None, None, [runs]]


def q(runs: list, model_key: str, refs: list[str] | None, uuids: tuple[str, str]) -> list:
    """One Q: the refs element is absent when `refs` is None (text-to-video, H)."""
    head = [rich_prompt(runs)]
    if refs is not None:
        head.append([[None, m] for m in refs])
    return [*head, model_key, 1, None, [None, None, None, None, uuids[0], uuids[1]]]


# ---- the generation record R and the workflow item I -----------------------------------------------
def state_of(tile, error: str | None, *, submitted: bool) -> list:
    """R[5][8]: `[state, progress?, error?]` (a submit reply always says 6, H)."""
    if submitted or tile.state == "queued":
        return [STATE_QUEUED]
    if tile.state == "done":
        return [STATE_DONE]
    if tile.state == "failed":
        out: list = [STATE_FAILED, None, None]
        out[PROGRESS_AT], out[ERROR_AT] = tile.percent, error or ""
        return out
    if tile.state == "running" and tile.percent is not None:
        out = [STATE_RENDERING, None]
        out[PROGRESS_AT] = tile.percent
        return out
    return [STATE_RENDERING]  # pending: a slot, no progress yet (stuck tiles too)


def inputs_of(tile) -> list:
    """R[5][6][1][1]: `[[null, <type>, <media id>], …]` (absent for text-to-video)."""
    if tile.kind == "r2v":
        return [[None, INPUT_REFERENCE, m] for m in tile.references]
    out = []
    if tile.kind in ("i2v", "fl") and tile.start_media:
        out.append([None, INPUT_START, tile.start_media])
    if tile.kind == "fl" and tile.end_media:
        out.append([None, INPUT_END, tile.end_media])
    return out


def _model_prompt(tile) -> str:
    """R[7][0][7]: the prompt as the model got it (Veo: wrapped in XML, Omni: mentions renamed
    `image_<n>.png`, as the captures show; never read by the driver)."""
    if tile.model_key.startswith("veo_"):
        return ("<root>\n  <context>\n  </context>\n  <instruction>\n    <prompt>"
                f"{tile.prompt}</prompt>\n  </instruction>\n</root>")
    named: dict[str, str] = {}
    parts = []
    for run in tile.runs or [[tile.prompt]]:
        if isinstance(run[0], str):
            parts.append(run[0])
        else:
            mid = run[1][0][0]
            parts.append(named.setdefault(mid, f"image_{len(named)}.png"))
    return "".join(parts)


def record(tile, *, error: str | None, extras: list, submitted: bool = False,
           poster_url: str | None = None, video_url: str | None = None,
           size_bytes: int | None = None) -> list:
    """R of one clip. `poster_url`/`video_url` only in the media reply (H); `extras` is R[8]
    (flowsim only): `[title, agent, previewUrl, opaqueThumbnailUrl, aspect, resolution]`."""
    key = tile.model_key
    n, m = MODEL_SPEC.get(tile.kind or "t2v", MODEL_SPEC["t2v"])
    spec: list = [[key, n, m, None, 1, 1]]
    inputs = inputs_of(tile)
    if inputs:
        spec.append(inputs)
    rich = rich_prompt(tile.runs or [[tile.prompt]])
    generation = [None, spec, [rich], None, 1]
    state = state_of(tile, error, submitted=submitted)
    done = state[0] == STATE_DONE
    r5: list = [ts(tile.created_at), tile.prompt, None, None, None, None, generation, None,
                state, 1]
    if poster_url is not None:
        r5 += [poster_url, []]
    if done and size_bytes is not None:
        r5 += [None] * (13 - len(r5)) + [size_bytes]
    model = [None, tile.seed, None, None, None, None, None, _model_prompt(tile), video_url,
             None, None, None, key, "", None, False, 1]
    return [tile.tile_id, tile.project_id, tile.item_id, None, None, r5, None,
            [model, [None, None, [tile.clip_seconds]], [tile.tile_id]], extras]


def item(tile, title: str) -> list:
    """A workflow item I (H): `[item id, null, null, [title, created, null, null, media id,
    client request id, submitted], project id]`."""
    return [tile.item_id, None, None,
            [title, ts(tile.created_at), None, None, tile.tile_id, tile.client_request_id,
             ts(tile.submitted_at or tile.created_at)],
            tile.project_id]


# ---- results ----------------------------------------------------------------------------------------
def submit_result(credits_after: int, items: list, recs: list) -> list:
    """`[null, <credits after the charge>, [I…], [R…]]` (H)."""
    return [None, credits_after, items, recs]


def poll_result(credits: int | None, recs: list) -> list:
    """`[null, <credits>, [R…]]` (H)."""
    return [None, credits, recs]


def listing_result(items: list) -> list:
    """`[null, [I…]]` (M)."""
    return [None, items]


def credits_result(credits: int) -> list:
    """nzlxg's `[<balance>, 1, 2, 2, null, <balance>]` (M; the middle values copied)."""
    return [credits, 1, 2, 2, None, credits]


def upload_result(asset, mime: str) -> list:
    """`[[media id, project id, asset id, null, null, [created, …, <bytes>], [null, [… mime],
    [w, h]]], [asset id, null, null, [file name, created, null, null, media id], project id]]`
    (H; R[3] is the October null marker)."""
    created = ts(asset.uploaded_at)
    r5 = _trim([created, None, None, None, None, None, [None, None, None, None,
                                                        UPLOAD_STATE_STORED],
                None, None, 1, None, None, None, asset.size_bytes])
    media = [asset.media_id, asset.project_id, asset.asset_id, None, None, r5,
             [None, [None, None, None, None, 0, None, mime], [asset.width, asset.height]]]
    entry = [asset.asset_id, None, None,
             [asset.file_name, created, None, None, asset.media_id], asset.project_id]
    return [media, entry]

