"""flow2026 submissions: request checks, the account rules, billing per plan/model/duration/
resolution, queued tiles, Retry, the tile as `jwpduf` reports it, and Flow's own upscale."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from flowsim.model import Tile
from flowsim.sim import Refused, Sim
from flowsim.v2026 import catalog, i18n_server
from flowsim.v2026.wire import BadRequest

MAX_PROMPT_CHARS = 5000  # a sane bound: far above any real prompt, far below a flood
STATUSES = {"pending": "PENDING", "queued": "QUEUED", "running": "ACTIVE",
            "done": "SUCCESSFUL", "failed": "FAILED"}
TITLE_WORDS = 6


@dataclass
class Spec:
    """One checked submit: what every output of it is (the page sends uniform requests)."""

    project_id: str
    kind: str
    model: catalog.Model
    model_key: str
    prompt: str
    aspect: str
    seconds: int
    resolution: str
    price: int  # credits per output
    count: int
    start: str | None
    end: str | None
    trusted: bool
    agent: bool = False
    references: tuple[str, ...] = ()  # Ingredients (r2v): the reference images


def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def own_project(sim: Sim, project_id: object) -> str:
    """`project_id` when it is a project of this account; BadRequest otherwise."""
    if not isinstance(project_id, str) or project_id not in sim.projects:
        raise BadRequest("unknown or foreign projectId")
    return project_id


def _frame(sim: Sim, project_id: str, ref: object, name: str) -> str:
    if not isinstance(ref, dict) or not isinstance(ref.get("mediaId"), str):
        raise BadRequest(f"{name} must be {{\"mediaId\": ...}}")
    asset = sim.library.assets.get(ref["mediaId"])
    if asset is None or asset.project_id != project_id:
        raise BadRequest(f"unknown or foreign {name} mediaId")
    if asset.state(time.time()) != "READY":
        raise BadRequest(f"{name} is still uploading")
    return asset.media_id


def check_submit(sim: Sim, rpc_id: str, payload: dict) -> Spec:
    """A Spec for a well-formed submit of `rpc_id`; BadRequest for anything malformed."""
    project_id = own_project(sim, payload.get("projectId"))
    trusted = payload.get("trusted", True)
    requests = payload.get("requests")
    if not isinstance(trusted, bool):
        raise BadRequest("trusted must be a boolean")
    if not isinstance(requests, list) or not 1 <= len(requests) <= 4:
        raise BadRequest("requests: one per output, 1 to 4")
    if not all(isinstance(r, dict) for r in requests):
        raise BadRequest("each request must be an object")
    first = requests[0]
    same = ("modelKey", "aspectRatio", "durationSeconds", "resolution", "startImage", "endImage",
            "agent", "references")
    if any(r.get(k) != first.get(k) for r in requests for k in same):
        raise BadRequest("the requests of one submit differ in their settings")
    for r in requests:
        prompt = r.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise BadRequest("prompt must be a non-empty string")
        if len(prompt) > MAX_PROMPT_CHARS:
            raise BadRequest(f"prompt longer than {MAX_PROMPT_CHARS} characters")
        if "seed" in r and not _int(r["seed"]):
            raise BadRequest("seed must be an integer")
        if not isinstance(r.get("agent", False), bool):
            raise BadRequest("agent must be a boolean")
    kind = catalog.RPC_KINDS[rpc_id]
    plan = sim.config.plan
    found = catalog.by_key(first.get("modelKey"), plan, sim.config.lower_priority_model,
                           sim.config.compatible_model_switch) \
        if isinstance(first.get("modelKey"), str) else None
    if found is None:
        raise BadRequest(f"unknown model key {first.get('modelKey')!r} on this plan")
    model, key_kind = found
    if key_kind != kind:
        raise BadRequest(f"model key {first['modelKey']!r} is not a {kind} key")
    aspect = catalog.ASPECTS.get(first.get("aspectRatio"))
    if aspect is None:
        raise BadRequest("aspectRatio must be VIDEO_ASPECT_RATIO_LANDSCAPE or _PORTRAIT")
    seconds, resolution = first.get("durationSeconds"), first.get("resolution")
    price = (catalog.price(model, plan, seconds, resolution)
             if _int(seconds) and isinstance(resolution, str) else None)
    if price is None:
        raise BadRequest(f"{model.label} has no {seconds!r} s / {resolution!r} on {plan}")
    start = end = None
    if kind in ("i2v", "fl"):
        start = _frame(sim, project_id, first.get("startImage"), "startImage")
    elif first.get("startImage") is not None:
        raise BadRequest("a text-to-video request carries no startImage")
    if kind == "fl":
        end = _frame(sim, project_id, first.get("endImage"), "endImage")
    elif first.get("endImage") is not None:
        raise BadRequest("only nprQif carries an endImage")
    references = _references(sim, project_id, first.get("references"), kind)
    return Spec(project_id, kind, model, first["modelKey"], first["prompt"], aspect, seconds,
                resolution, price, len(requests), start, end, trusted,
                first.get("agent", False), references)


def _references(sim: Sim, project_id: str, refs: object, kind: str) -> tuple[str, ...]:
    """The Ingredients of an MZZa6b request: 1-3 distinct READY uploads of the project."""
    if kind != "r2v":
        if refs is not None:
            raise BadRequest("only MZZa6b carries references")
        return ()
    if not isinstance(refs, list) or not 1 <= len(refs) <= catalog.MAX_REFERENCES:
        raise BadRequest(f"references: 1 to {catalog.MAX_REFERENCES} {{\"mediaId\": ...}}")
    ids = tuple(_frame(sim, project_id, ref, "reference") for ref in refs)
    if len(set(ids)) != len(ids):
        raise BadRequest("the same reference twice")
    return ids


def _check_rules(sim: Sim, spec: Spec, now: float, lang: str) -> None:
    """The account rules in order; raises Refused with a localised text."""
    def refuse(reason: str) -> Refused:
        return Refused(i18n_server.text(reason, lang), reason)

    account = sim.account
    if account.unusual_refusal(now, sim.config.unusual_clear_seconds, untrusted=not spec.trusted):
        raise refuse("unusual_activity")
    if sim.too_quickly(now):
        raise refuse("too_quickly")
    if sim.credits_left < spec.price * spec.count:
        raise refuse("insufficient_credits")
    waiting = sum(1 for t in sim.tiles.values() if t.state == "queued")
    if sim.active_count() + waiting + spec.count > sim.config.slots + sim.config.queue_limit:
        raise refuse("too_many")


def submit(sim: Sim, spec: Spec, lang: str, retry_of: str | None = None) -> list[Tile]:
    """Admit `spec` (Refused when the account turns it away) and create its tiles: charged
    now, rendering when a slot is free, QUEUED otherwise."""
    now = sim.admit(lambda: _check_rules(sim, spec, time.time(), lang))
    batch = uuid.uuid4().hex[:12]
    tiles = []
    for i in range(spec.count):
        stuck = sim.account.stuck_left > 0
        if stuck:
            sim.account.stuck_left -= 1
        tile = Tile(
            tile_id=str(uuid.uuid4()), project_id=spec.project_id, batch_id=batch,
            prompt=spec.prompt, model=spec.model.label, aspect=spec.aspect, output_index=i,
            outputs=spec.count, created_at=now,
            start_media=spec.start or (spec.references[0] if spec.references else None),
            end_media=spec.end,
            clip_seconds=spec.seconds, resolution=spec.resolution, model_key=spec.model_key,
            kind=spec.kind, stuck=stuck, state="queued", agent=spec.agent,
            references=list(spec.references),
        )
        sim.tiles[tile.tile_id] = tile
        sim.tiles_created += 1
        sim.charge(tile, spec.price)
        if sim.active_count() < sim.config.slots:
            sim.start_tile(tile, now)
        tiles.append(tile)
    project = sim.projects[spec.project_id]
    if retry_of in project.tile_ids:
        project.tile_ids.remove(retry_of)  # Flow's Retry: the failed tile goes away
    project.tile_ids[:0] = [t.tile_id for t in tiles]
    sim.log_submission(now, spec.project_id, spec.prompt, model=spec.model.label,
                       aspect=spec.aspect, outputs=spec.count, model_key=spec.model_key,
                       duration=spec.seconds, resolution=spec.resolution, retry=retry_of,
                       tile_ids=[t.tile_id for t in tiles])
    return tiles


def retry_spec(sim: Sim, tile_id: object) -> Spec:
    """The request of a failed tile, for Retry (billed again)."""
    tile = sim.tiles.get(tile_id) if isinstance(tile_id, str) else None
    if tile is None or tile.project_id not in sim.projects or not tile.model_key:
        raise BadRequest("unknown mediaId")
    if tile.state != "failed":
        raise BadRequest("only a failed tile can be retried")
    model = catalog.BY_LABEL[tile.model]
    price = catalog.price(model, sim.config.plan, tile.clip_seconds, tile.resolution)
    if price is None:
        raise BadRequest(f"{model.label} is no longer offered with these settings")
    return Spec(tile.project_id, tile.kind or "t2v", model, tile.model_key, tile.prompt,
                tile.aspect, tile.clip_seconds, tile.resolution, price, 1,
                None if tile.kind == "r2v" else tile.start_media, tile.end_media, True, tile.agent, tuple(tile.references))


def title(tile: Tile) -> str:
    """The clip title Flow shows once rendering started (so a title does not mean done)."""
    if tile.state in ("pending", "queued") or (tile.state == "failed" and tile.percent is None):
        return ""
    words = tile.prompt.split()[:TITLE_WORDS]
    return " ".join(w[:1].upper() + w[1:] for w in words)


def media_entry(tile: Tile, lang: str) -> dict:
    """M of the contract: one tile as `jwpduf` reports it."""
    status = STATUSES[tile.state]
    progress = 100 if status == "SUCCESSFUL" else tile.percent
    return {
        "mediaId": tile.tile_id, "status": status, "progress": progress, "title": title(tile),
        "prompt": tile.prompt, "modelKey": tile.model_key, "durationSeconds": tile.clip_seconds,
        "resolution": tile.resolution,
        "aspectRatio": next(k for k, v in catalog.ASPECTS.items() if v == tile.aspect),
        "error": i18n_server.translate(tile.error, lang), "createdAt": tile.created_at,
        "agent": tile.agent,
    }


def upscale_seconds(sim: Sim) -> float | None:
    """Seconds until an on-demand upscale is ready; None = never (a negative setting)."""
    value = sim.config.upscale_1080_seconds
    if value is None:
        value = sim.config.generation_seconds
        if value is None:
            return sim.config.upscale_duration(sim.rng)
    return None if value < 0 else float(value)
