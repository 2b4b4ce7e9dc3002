"""The batchexecute RPCs of flow2026: one handler per rpc id. Flow's rpcs take and answer
positional arrays (records.py); flowsim's own (`hK3mQe`, `Vz7tGb`, `Qq9xPa`, `Lm2sRd`) named-
field objects. A handler answers a result, a `Refusal` (a status row) or raises BadRequest (HTTP
400); every call lands in `sim.wire_log` with flowsim's reason name."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from flowsim.sim import Refused, Sim
from flowsim.v2026 import account, catalog, generate, i18n_server, library, media, records
from flowsim.v2026.wire import BadRequest, record

MAX_FILE_NAME = 255
UPSCALE_SIZES = ("1080p", "4K")

# flowsim reason -> (status code, PUBLIC_ERROR reason or None): docs/flowsim-2026-contract.md.
# M where the README shows it; the rest ASSUMPTION (flowsim's own words in Google's style).
REFUSALS: dict[str, tuple[int, str | None]] = {
    "unusual_activity": (7, "PUBLIC_ERROR_UNUSUAL_ACTIVITY"),
    "too_quickly": (8, "PUBLIC_ERROR_RATE_LIMITED"),
    "insufficient_credits": (8, "PUBLIC_ERROR_INSUFFICIENT_CREDITS"),
    "too_many": (8, "PUBLIC_ERROR_TOO_MANY_GENERATIONS"),
    "unknown_model": (5, None),
    "model_not_on_plan": (7, "PUBLIC_ERROR_MODEL_ACCESS_DENIED"),
    "invalid_request": (3, "PUBLIC_ERROR_INVALID_REQUEST"),
    "minor": (3, "PUBLIC_ERROR_UPLOAD_MINOR"),
    "face": (3, "PUBLIC_ERROR_UPLOAD_FACE"),
    "not_an_image": (3, "PUBLIC_ERROR_UPLOAD_NOT_IMAGE"),
    "too_large": (3, "PUBLIC_ERROR_UPLOAD_TOO_LARGE"),
    "upload_consent_required": (9, "PUBLIC_ERROR_UPLOAD_CONSENT_REQUIRED"),
    "not_on_plan": (7, "PUBLIC_ERROR_UPSCALE_NOT_ON_PLAN"),  # 4K on Pro (flowsim)
    "not_found": (5, None),  # as29s of an id the account does not have
    # December build (ASSUMPTION, each in this one table): a retired model's dated refusal, a
    # duration the plan lacks (Omni 1.2 over 10 s on free), the poll's refusal frame.
    "model_retired": (9, "PUBLIC_ERROR_MODEL_RETIRED"),
    "duration_not_on_plan": (7, "PUBLIC_ERROR_MODEL_ACCESS_DENIED"),
    "poll_throttled": (8, "PUBLIC_ERROR_RATE_LIMITED"),
}


@dataclass(frozen=True)
class Refusal:
    """A call answered with a status instead of a result."""

    code: int
    reason: str | None
    message: str | None


class Call:
    """One RPC call: the simulator, the page language and the wire entry being filled in."""

    def __init__(self, sim: Sim, rpc_id: str, lang: str):
        self.sim, self.rpc_id, self.lang = sim, rpc_id, lang
        self.entry = record(rpc_id)
        self.reply_at: float | None = None  # answer no earlier than this (time.time())
        self.lost = False  # configure(upload_reply_lost_next): the reply body never arrives

    def refusal(self, reason: str, text: str | None = None, detail: str | None = None) -> Refusal:
        """A status-row refusal, recorded on the wire under flowsim's `reason` name."""
        self.entry["refused"] = f"{reason}: {detail}" if detail else reason
        code, public = REFUSALS[reason]
        message = None if public is None else (text or i18n_server.text(reason, self.lang))
        return Refusal(code, public, message)

    def key_refusal(self, refused: catalog.KeyRefused) -> Refusal:
        """The refusal of a model key the account cannot use (a retired one dated)."""
        if refused.reason == "model_retired" and refused.model is not None:
            day = i18n_server.day(catalog.RETIRED_ON, self.lang)
            text = i18n_server.text("model_retired", self.lang, model=refused.model.label,
                                    date=day)
            self.entry["model"] = refused.model.label
            return self.refusal("model_retired", text)
        if refused.reason == "duration_not_on_plan":
            text = i18n_server.text("duration_not_on_plan", self.lang,
                                    n=catalog.OMNI12_FREE_MAX_S)
            return self.refusal("duration_not_on_plan", text)
        return self.refusal(refused.reason)


def handle(sim: Sim, rpc_id: str, payload: Any, lang: str) -> tuple[Any, Call]:
    """Run one call and record it: (result or Refusal, the call). BadRequest (HTTP 400) is
    recorded as `bad_request: …`."""
    call = Call(sim, rpc_id, lang)
    try:
        handler = HANDLERS.get(rpc_id)
        if handler is None:
            raise BadRequest(f"unknown rpc id {rpc_id!r}")
        result = handler(call, payload)
        if rpc_id in sim.config.wire_drift and isinstance(result, list):
            result = result[:2] + [None] + result[2:]  # the next build's shape (core.js undoes it)
        return result, call
    except BadRequest as exc:
        call.entry["refused"] = f"bad_request: {exc}"
        raise
    finally:
        sim.wire_log.append(call.entry)


def record_firewall(sim: Sim, rpc_id: str) -> None:
    """A submit the front end's firewall turned away (HTTP 403) before Flow saw it."""
    sim.wire_log.append(record(rpc_id, kind=catalog.WIRE_KINDS[catalog.RPC_KINDS[rpc_id]],
                               refused="firewall", credits=0))
    sim.refusals["firewall"] += 1


def record_malformed(sim: Sim, rpc_id: str | None, detail: str) -> None:
    """A call whose envelope could not even be read."""
    entry = record(rpc_id or "?")
    entry["refused"] = f"bad_request: {detail}"
    sim.wire_log.append(entry)


# ---- uploads and the picker --------------------------------------------------------------
def upload(call: Call, p: list) -> Any:
    """maseQ: an image into the project library, answered once it is stored."""
    sim = call.sim
    ask = records.read_upload(p, MAX_FILE_NAME)
    project_id = generate.own_project(sim, ask.project_id)
    call.entry.update(project=project_id)
    if sim.config.upload_consent and not sim.account.consent_accepted:
        return _refuse_upload(call, ask.file_name, "upload_consent_required")
    try:
        if not ask.mime.startswith("image/"):
            raise library.UploadRefused("not_an_image")
        data, suffix = sim.library.decode(ask.b64, sim.config.max_upload_bytes)
    except library.UploadRefused as refused:
        return _refuse_upload(call, ask.file_name, refused.reason)
    now = time.time()
    asset = sim.library.add(project_id, ask.file_name, data, suffix, now,
                            sim.config.upload_store_seconds, sim.config.search_lag_seconds)
    path = library.asset_path(sim.studio.media_dir, asset)
    path.write_bytes(data)
    sim.media[asset.media_id] = path  # reset() deletes it with the other media
    call.entry.update(media_ids=[asset.media_id])
    call.reply_at = asset.stored_at  # the real reply comes once the image is stored (~7 s)
    if sim.account.take("upload_lost_left"):
        # Saved, listed, but the reply body is lost on the way (FLOW_2026 Dec. 7, M).
        asset.reply_lost = call.lost = True
        call.entry["reply_lost"] = True
    return records.upload_result(asset, asset.mime)


def _refuse_upload(call: Call, name: str, reason: str) -> Refusal:
    call.sim.library.refused.append({"mediaId": None, "fileName": name, "state": "REFUSED",
                                     "refused": reason})
    return call.refusal(reason)


def consent(call: Call, p: dict) -> dict:
    """hK3mQe: the upload rights dialog's `I agree`."""
    call.sim.account.consent_accepted = True
    return {"ok": True}


def picker(call: Call, p: dict) -> dict:
    """Vz7tGb: list or search the project's uploads."""
    sim = call.sim
    project_id = generate.own_project(sim, p.get("projectId"))
    query = p.get("query") or ""
    if not isinstance(query, str) or len(query) > MAX_FILE_NAME:
        raise BadRequest("query must be a string")
    call.entry.update(project=project_id)
    now = time.time()
    assets = []
    for asset in sim.library.search(project_id, query, now):
        state = asset.state(now)
        assets.append({"mediaId": asset.media_id, "fileName": asset.file_name, "state": state,
                       "thumbnailUrl": media.image_url(sim, asset.media_id)
                       if state == "READY" else None})
    return {"assets": assets}


# ---- generation --------------------------------------------------------------------------
def submit(call: Call, p: list) -> Any:
    """YhhmEf / eb1hJf / nprQif / MZZa6b: one tile per Q, charged at once."""
    ask = records.read_submit(p)
    call.entry.update(kind=catalog.WIRE_KINDS[catalog.RPC_KINDS[call.rpc_id]],
                      project=ask.project_id, trusted=ask.trusted, agent=ask.agent,
                      count=len(ask.asks), model_key=ask.asks[0].model_key,
                      client_request_id=ask.client_request_id)
    try:
        spec = generate.check_submit(call.sim, call.rpc_id, ask)
    except catalog.KeyRefused as refused:
        return call.key_refusal(refused)
    except generate.Invalid as invalid:
        return call.refusal("invalid_request", detail=str(invalid))
    return _run_submit(call, spec)


def _run_submit(call: Call, spec: generate.Spec, retry_of: str | None = None) -> Any:
    sim = call.sim
    call.entry.update(
        kind=catalog.WIRE_KINDS[spec.kind], project=spec.project_id,
        media_ids=list(spec.references) if spec.kind == "r2v" else [spec.start, spec.end],
        model=spec.model.label, model_key=spec.model_key,
        duration=spec.seconds, resolution=spec.resolution, aspect=spec.aspect,
        count=spec.count, trusted=spec.trusted, agent=spec.agent,
        client_request_id=spec.client_request_id,
    )
    try:
        tiles = generate.submit(sim, spec, call.lang, retry_of)
    except Refused as refused:
        return call.refusal(refused.reason, refused.text)
    call.entry["credits"] = spec.price * spec.count
    call.entry["tile_ids"] = [t.tile_id for t in tiles]
    return records.submit_result(
        sim.credits_left, [generate.wire_item(t) for t in tiles],
        [generate.wire_record(sim, t, call.lang, submitted=True) for t in tiles])


def poll(call: Call, p: list) -> list:
    """jwpduf: the records of the ids asked for, in that order; ids the account does not own
    are left out (ASSUMPTION)."""
    sim = call.sim
    ids = records.read_poll(p)
    if sim.account.take("poll_refusals_left"):
        # configure(poll_refusal_next=N): a refusal frame instead of records (FLOW_2026 Dec. 7,
        # M; its status ASSUMPTION). The clips render on regardless.
        call.entry.update(media_ids=list(dict.fromkeys(ids)))
        return call.refusal("poll_throttled")
    tiles = [sim.tiles[m] for m in dict.fromkeys(ids)
             if m in sim.tiles and sim.tiles[m].project_id in sim.projects]
    call.entry.update(media_ids=[t.tile_id for t in tiles],
                      project=tiles[0].project_id if tiles else None)
    return records.poll_result(sim.credits_left,
                               [generate.wire_record(sim, t, call.lang) for t in tiles])


def listing(call: Call, p: list) -> list:
    """Zzl0ze: the project's workflow items, newest first."""
    sim = call.sim
    project = sim.projects[generate.own_project(sim, records.read_listing(p))]
    call.entry.update(project=project.project_id)
    return records.listing_result([generate.wire_item(sim.tiles[t]) for t in project.tile_ids
                                   if t in sim.tiles])


def credits(call: Call, p: list) -> list:
    """nzlxg: the credit balance (M: `[]` → `[1050,1,2,2,null,1050]`; the middle values are
    copied from the capture, their meaning unknown)."""
    if p:
        raise BadRequest("a credit request is []")
    return records.credits_result(call.sim.credits_left)


def _own_tile(sim: Sim, media_id: object):
    tile = sim.tiles.get(media_id) if isinstance(media_id, str) else None
    if tile is None or tile.project_id not in sim.projects:
        raise BadRequest(f"unknown mediaId {media_id!r}")
    return tile


def media_record(call: Call, p: list) -> Any:
    """as29s: one record with its signed poster and video URLs (a clip not done: without)."""
    sim = call.sim
    media_id = records.read_media(p)
    tile = sim.tiles.get(media_id)
    call.entry.update(media_ids=[media_id])
    if tile is None or tile.project_id not in sim.projects:
        return call.refusal("not_found")
    call.entry.update(project=tile.project_id)
    return generate.wire_record(sim, tile, call.lang, media_reply=True)


def upscale(call: Call, p: dict) -> Any:
    """Qq9xPa: 1080p on demand (free, maybe never), 4K refused on Pro and 50 credits on Ultra."""
    sim = call.sim
    tile = _own_tile(sim, p.get("mediaId"))
    size = p.get("size")
    if size not in UPSCALE_SIZES:
        raise BadRequest("size must be 1080p or 4K")
    if tile.state != "done":
        raise BadRequest("the clip is not finished")
    call.entry.update(project=tile.project_id, media_ids=[tile.tile_id], resolution=size)
    if sim.account.take("upscale_unusual_left"):
        # configure(upscale_unusual_activity_next=N): Flow's own upscale refused as unusual
        # activity (FLOW_2026 Dec. 7, M); nothing charged, the submit lock is not armed.
        return call.refusal("unusual_activity")
    state = tile.upscale if size == "1080p" else tile.upscale_4k
    if size == "4K" and tile.tile_id not in sim.account.upscale_4k_paid:
        if sim.config.plan != "ultra":
            return call.refusal("not_on_plan")
        if sim.credits_left < catalog.UPSCALE_4K_CREDITS:
            return call.refusal("insufficient_credits")
        sim.credits_left -= catalog.UPSCALE_4K_CREDITS
        sim.credits_spent += catalog.UPSCALE_4K_CREDITS
        sim.account.upscale_4k_paid.append(tile.tile_id)
        call.entry["credits"] = catalog.UPSCALE_4K_CREDITS
    if state == "done":
        return {"state": "READY", "url": media.download_url(tile.tile_id, size)}
    seconds = generate.upscale_seconds(sim)
    if state is None and seconds is not None:
        sim.start_upscale(tile.tile_id, seconds, size)
    return {"state": "PENDING"}


# ---- small ops ---------------------------------------------------------------------------
def ops(call: Call, p: dict) -> Any:
    """Lm2sRd: project, account and tile operations of the page."""
    sim, op = call.sim, p.get("op")
    call.entry.update(kind=None, refused=None)
    call.entry["op"] = op
    if op == "new_project":
        project = sim.new_project()
        return {"projectId": project.project_id, "title": project.title}
    if op == "set_title":
        project = sim.projects[generate.own_project(sim, p.get("projectId"))]
        new_title = p.get("title")
        if not isinstance(new_title, str) or not 0 < len(new_title) <= 200:
            raise BadRequest("title must be 1 to 200 characters")
        project.title = new_title
        return {"projectId": project.project_id, "title": project.title}
    if op == "agent_chip":
        if not isinstance(p.get("pressed"), bool):
            raise BadRequest("pressed must be a boolean")
        sim.account.agent_chip = p["pressed"]
        return {"agentChip": sim.account.agent_chip}
    if op == "dismiss":
        if p.get("what") not in account.DISMISSABLE:
            raise BadRequest(f"what must be one of {account.DISMISSABLE}")
        if p["what"] not in sim.account.dismissed:
            sim.account.dismissed.append(p["what"])
        return {"ok": True}
    if op == "frames_mode":
        if p.get("value") not in account.FRAMES_MODES:
            raise BadRequest(f"value must be one of {account.FRAMES_MODES}")
        if sim.config.remember_frames_mode:
            sim.account.frames_mode = p["value"]
        return {"framesMode": frames_mode(sim)}
    if op == "account":
        return {"plan": sim.config.plan, "credits": sim.credits_left}
    if op == "delete_tile":
        tile = _own_tile(sim, p.get("mediaId"))
        if tile.active or tile.state == "queued":
            raise BadRequest("a generation in progress cannot be deleted")
        project = sim.projects[tile.project_id]
        if tile.tile_id in project.tile_ids:
            project.tile_ids.remove(tile.tile_id)
        return {"ok": True}
    if op == "new_scene":
        project_id = generate.own_project(sim, p.get("projectId"))
        scene_id = str(uuid.uuid4())
        sim.account.scenes[scene_id] = project_id
        return {"sceneId": scene_id}
    if op == "new_character":
        project_id = generate.own_project(sim, p.get("projectId"))
        name = p.get("name")
        if not isinstance(name, str) or not 0 < len(name.strip()) <= 100:
            raise BadRequest("name must be 1 to 100 characters")
        character_id = str(uuid.uuid4())
        sim.account.characters[character_id] = {"project": project_id, "name": name.strip()}
        return {"characterId": character_id, "name": name.strip()}
    if op == "retry":
        # Flow's Retry: answered like a submit (`[null, credits, [I], [R]]`, refusals as
        # status rows).
        try:
            spec = generate.retry_spec(sim, p.get("mediaId"))
        except catalog.KeyRefused as refused:
            return call.key_refusal(refused)
        return _run_submit(call, spec, retry_of=p["mediaId"])
    raise BadRequest(f"unknown op {op!r}")


def model_catalogue(call: Call, p: list) -> list:
    """HTrJv: the model catalogue (ids and wire keys with their menu labels) of the build that
    plays, for this account (flow_wire README "Other rpc ids", M; the rest ASSUMPTION)."""
    if p:
        raise BadRequest("a catalogue request is []")
    config = call.sim.config
    return catalog.catalogue_result(config.build, config.plan, config.lower_priority_model,
                                    config.compatible_model_switch)


def model_availability(call: Call, p: list) -> list:
    """yBhWQ: which video models this account can use now (1), and the retired ones (0)."""
    if p:
        raise BadRequest("an availability request is []")
    config = call.sim.config
    return catalog.availability_result(config.build, config.plan, config.lower_priority_model)


def frames_mode(sim: Sim) -> str:
    """The input mode the composer opens in (remembered per account unless switched off)."""
    if not sim.config.remember_frames_mode:
        return account.DEFAULT_FRAMES_MODE
    return sim.account.frames_mode


HANDLERS = {
    "maseQ": upload, "hK3mQe": consent, "Vz7tGb": picker,
    "YhhmEf": submit, "eb1hJf": submit, "nprQif": submit, "MZZa6b": submit,
    "jwpduf": poll, "as29s": media_record, "Zzl0ze": listing, "nzlxg": credits, "Qq9xPa": upscale, "Lm2sRd": ops,
    "HTrJv": model_catalogue, "yBhWQ": model_availability,
}
