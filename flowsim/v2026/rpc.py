"""The batchexecute RPCs of flow2026: one handler per rpc id, each answering a result dict
(refusals as `{"error": {...}}`) or raising BadRequest; every call lands in `sim.wire_log`."""

from __future__ import annotations

import time
import uuid

from flowsim.sim import Refused, Sim
from flowsim.v2026 import account, catalog, generate, i18n_server, library, media
from flowsim.v2026.wire import BadRequest, record

MAX_FILE_NAME = 255
UPSCALE_SIZES = ("1080p", "4K")


class Call:
    """One RPC call: the simulator, the page language and the wire entry being filled in."""

    def __init__(self, sim: Sim, rpc_id: str, lang: str):
        self.sim, self.rpc_id, self.lang = sim, rpc_id, lang
        self.entry = record(rpc_id)

    def refusal(self, reason: str, text: str | None = None) -> dict:
        """A refusal result (a normal reply), recorded on the wire."""
        self.entry["refused"] = reason
        return {"error": {"reason": reason,
                          "message": text or i18n_server.text(reason, self.lang)}}


def handle(sim: Sim, rpc_id: str, payload: dict, lang: str) -> dict:
    """Run one call and record it; BadRequest (HTTP 400) is recorded as `bad_request`."""
    call = Call(sim, rpc_id, lang)
    try:
        handler = HANDLERS.get(rpc_id)
        if handler is None:
            raise BadRequest(f"unknown rpc id {rpc_id!r}")
        return handler(call, payload)
    except BadRequest as exc:
        call.entry["refused"] = f"bad_request: {exc}"
        raise
    finally:
        sim.wire_log.append(call.entry)


def record_malformed(sim: Sim, rpc_id: str | None, detail: str) -> None:
    """A call whose envelope could not even be read."""
    entry = record(rpc_id or "?")
    entry["refused"] = f"bad_request: {detail}"
    sim.wire_log.append(entry)


# ---- uploads and the picker --------------------------------------------------------------
def upload(call: Call, p: dict) -> dict:
    """maseQ: an image into the project library."""
    sim = call.sim
    project_id = generate.own_project(sim, p.get("projectId"))
    name, mime = p.get("fileName"), p.get("mimeType")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_FILE_NAME:
        raise BadRequest("fileName must be a non-empty string of at most 255 characters")
    if not isinstance(mime, str):
        raise BadRequest("mimeType must be a string")
    call.entry.update(project=project_id)
    if sim.config.upload_consent and not sim.account.consent_accepted:
        return _refuse_upload(call, name, "upload_consent_required")
    try:
        if not mime.startswith("image/"):
            raise library.UploadRefused("not_an_image")
        data, suffix = sim.library.decode(p.get("imageBase64"), sim.config.max_upload_bytes)
    except library.UploadRefused as refused:
        return _refuse_upload(call, name, refused.reason)
    now = time.time()
    asset = sim.library.add(project_id, name, suffix, now, sim.config.upload_store_seconds,
                            sim.config.search_lag_seconds)
    path = library.asset_path(sim.studio.media_dir, asset)
    path.write_bytes(data)
    sim.media[asset.media_id] = path  # reset() deletes it with the other media
    call.entry.update(media_ids=[asset.media_id])
    return {"mediaId": asset.media_id, "fileName": name, "state": asset.state(now)}


def _refuse_upload(call: Call, name: str, reason: str) -> dict:
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
def submit(call: Call, p: dict) -> dict:
    """YhhmEf / eb1hJf / nprQif: one tile per request, charged at once."""
    spec = generate.check_submit(call.sim, call.rpc_id, p)
    return _run_submit(call, spec)


def _run_submit(call: Call, spec: generate.Spec, retry_of: str | None = None) -> dict:
    sim = call.sim
    call.entry.update(
        kind=catalog.WIRE_KINDS[spec.kind], project=spec.project_id,
        media_ids=list(spec.references) if spec.kind == "r2v" else [spec.start, spec.end],
        model=spec.model.label, model_key=spec.model_key,
        duration=spec.seconds, resolution=spec.resolution, aspect=spec.aspect,
        count=spec.count, trusted=spec.trusted, agent=spec.agent,
    )
    try:
        tiles = generate.submit(sim, spec, call.lang, retry_of)
    except Refused as refused:
        return call.refusal(refused.reason, refused.text)
    call.entry["credits"] = spec.price * spec.count
    call.entry["tile_ids"] = [t.tile_id for t in tiles]
    return {"operations": [{"mediaId": t.tile_id, "status": generate.STATUSES[t.state]}
                           for t in tiles],
            "remainingCredits": sim.credits_left}


def poll(call: Call, p: dict) -> dict:
    """jwpduf: the project's tiles, newest first (all, or the ones asked for)."""
    sim = call.sim
    project = sim.projects[generate.own_project(sim, p.get("projectId"))]
    wanted = p.get("mediaIds")
    if wanted is not None and (not isinstance(wanted, list)
                               or not all(isinstance(m, str) for m in wanted)):
        raise BadRequest("mediaIds must be a list of ids or null")
    call.entry.update(project=project.project_id)
    ids = project.tile_ids if wanted is None else [t for t in project.tile_ids if t in wanted]
    return {"media": [generate.media_entry(sim.tiles[t], call.lang) for t in ids],
            "remainingCredits": sim.credits_left}


def _done_tile(sim: Sim, media_id: object):
    tile = sim.tiles.get(media_id) if isinstance(media_id, str) else None
    if tile is None or tile.project_id not in sim.projects:
        raise BadRequest(f"unknown mediaId {media_id!r}")
    return tile


def signed_urls(call: Call, p: dict) -> dict:
    """as29s: signed URLs of finished clips (unfinished ones are left out)."""
    sim = call.sim
    ids = p.get("mediaIds")
    if not isinstance(ids, list) or len(ids) > 100:
        raise BadRequest("mediaIds must be a list of at most 100 ids")
    tiles = [_done_tile(sim, m) for m in ids]
    call.entry.update(media_ids=list(ids))
    return {"media": [
        {"mediaId": t.tile_id, "videoUrl": media.video_url(sim, t.tile_id),
         "thumbnailUrl": media.image_url(sim, t.tile_id),
         "previewUrl": media.preview_url(t.tile_id),
         "opaqueThumbnailUrl": media.asb_url(sim, t.tile_id)}
        for t in tiles if t.state == "done"
    ]}


def upscale(call: Call, p: dict) -> dict:
    """Qq9xPa: 1080p on demand (free, maybe never), 4K refused on Pro and 50 credits on Ultra."""
    sim = call.sim
    tile = _done_tile(sim, p.get("mediaId"))
    size = p.get("size")
    if size not in UPSCALE_SIZES:
        raise BadRequest("size must be 1080p or 4K")
    if tile.state != "done":
        raise BadRequest("the clip is not finished")
    call.entry.update(project=tile.project_id, media_ids=[tile.tile_id], resolution=size)
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
def ops(call: Call, p: dict) -> dict:
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
        tile = _done_tile(sim, p.get("mediaId"))
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
        spec = generate.retry_spec(sim, p.get("mediaId"))
        return _run_submit(call, spec, retry_of=p["mediaId"])
    raise BadRequest(f"unknown op {op!r}")


def frames_mode(sim: Sim) -> str:
    """The input mode the composer opens in (remembered per account unless switched off)."""
    if not sim.config.remember_frames_mode:
        return account.DEFAULT_FRAMES_MODE
    return sim.account.frames_mode


HANDLERS = {
    "maseQ": upload, "hK3mQe": consent, "Vz7tGb": picker,
    "YhhmEf": submit, "eb1hJf": submit, "nprQif": submit, "MZZa6b": submit,
    "jwpduf": poll, "as29s": signed_urls, "Qq9xPa": upscale, "Lm2sRd": ops,
}
