"""flow2026 submissions: request checks, the account rules, billing per plan/model/duration/
resolution, queued tiles, Retry, the tile as a record R / workflow item I, and Flow's own
upscale."""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field

from flowsim.model import Tile
from flowsim.sim import Refused, Sim
from flowsim.v2026 import catalog, i18n_server, media, records
from flowsim.v2026.wire import BadRequest

MAX_PROMPT_CHARS = 5000  # a sane bound: far above any real prompt, far below a flood
TITLE_WORDS = 6


class Invalid(Exception):
    """A well-formed request that does not fit its rpc (key kind, frames): answered with the
    status `[3]` PUBLIC_ERROR_INVALID_REQUEST, recorded as `invalid_request: <detail>`."""


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
    runs: list = field(default_factory=list)  # the rich prompt as sent
    client_request_id: str | None = None


def own_project(sim: Sim, project_id: object) -> str:
    """`project_id` when it is a project of this account; BadRequest otherwise."""
    if not isinstance(project_id, str) or project_id not in sim.projects:
        raise BadRequest("unknown or foreign project id")
    return project_id


def _frame(sim: Sim, project_id: str, media_id: str, name: str) -> str:
    asset = sim.library.assets.get(media_id)
    if asset is None or asset.project_id != project_id:
        raise Invalid(f"unknown or foreign {name} media id")
    if asset.state(time.time()) != "READY":
        raise Invalid(f"{name} is still uploading")
    return asset.media_id


# How many input refs each kind takes (H for Ingredients: 1-3, Omni 1.2 up to 7 (its
# `max_refs`); the frames kinds by their name).
REFS = {"t2v": (None, None), "i2v": (1, 1), "fl": (2, 2), "r2v": (1, catalog.MAX_REFERENCES)}


def key_info(sim: Sim, model_key: object) -> catalog.KeyInfo:
    """What `model_key` stands for in the build that plays now, for this account; KeyRefused
    when it cannot be used (unknown, retired, not on the plan)."""
    config = sim.config
    return catalog.by_key(model_key, config.plan, config.lower_priority_model,
                          config.compatible_model_switch, build=config.build)


def check_submit(sim: Sim, rpc_id: str, ask: records.SubmitAsk) -> Spec:
    """A Spec for a submit of `rpc_id`: BadRequest (400) for a malformed one, KeyRefused for
    a key the account cannot use (status 5 or 7), Invalid when key or frames do not fit the
    rpc (status 3)."""
    project_id = own_project(sim, ask.project_id)
    first = ask.asks[0]
    if any(a.model_key != first.model_key or a.refs != first.refs for a in ask.asks):
        raise BadRequest("the requests of one submit differ in their settings")
    for a in ask.asks:
        if not a.prompt.strip():
            raise BadRequest("the prompt is blank")
        if len(a.prompt) > MAX_PROMPT_CHARS:
            raise BadRequest(f"prompt longer than {MAX_PROMPT_CHARS} characters")
    kind = catalog.RPC_KINDS[rpc_id]
    plan = sim.config.plan
    info = key_info(sim, first.model_key)
    if info.kind != kind:
        raise Invalid(f"model key {first.model_key!r} is not a {catalog.WIRE_KINDS[kind]} key")
    top = info.model.fl_max_seconds
    if kind == "fl" and top is not None and info.seconds > top:
        raise Invalid(f"start and end frames take at most {top} s")
    least, most = REFS[kind]
    if kind == "r2v":
        most = info.model.max_refs
    refs = first.refs
    if least is None:
        if refs is not None:
            raise Invalid("a text-to-video request carries no input refs")
        refs = []
    elif refs is None or not least <= len(refs) <= most:
        raise Invalid(f"{rpc_id} takes {least} to {most} input refs")
    if len(set(refs)) != len(refs):
        raise Invalid("the same input twice")
    names = {"i2v": ("start frame",), "fl": ("start frame", "end frame")}.get(kind, ())
    ids = [_frame(sim, project_id, m, names[i] if i < len(names) else "reference")
           for i, m in enumerate(refs)]
    start = ids[0] if kind in ("i2v", "fl") else None
    end = ids[1] if kind == "fl" else None
    references = tuple(ids) if kind == "r2v" else ()
    price = catalog.price(info.model, plan, info.seconds, info.resolution)
    assert price is not None  # by_key checked the plan offers it
    return Spec(project_id, kind, info.model, first.model_key, first.prompt, info.aspect,
                info.seconds, info.resolution, price, len(ask.asks), start, end, ask.trusted,
                ask.agent, references, first.runs, ask.client_request_id)


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
            references=list(spec.references), item_id=str(uuid.uuid4()),
            client_request_id=spec.client_request_id, runs=spec.runs,
            seed=random.randint(100_000, 999_999), submitted_at=now,
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
    """The request of a failed tile, for Retry (billed again, a new client request id)."""
    tile = sim.tiles.get(tile_id) if isinstance(tile_id, str) else None
    if tile is None or tile.project_id not in sim.projects or not tile.model_key:
        raise BadRequest("unknown mediaId")
    if tile.state != "failed":
        raise BadRequest("only a failed tile can be retried")
    # The key as the build that plays now knows it: a retired model's Retry is refused with
    # the dated message (KeyRefused), like a submit.
    info = key_info(sim, tile.model_key)
    model = info.model
    price = catalog.price(model, sim.config.plan, tile.clip_seconds, tile.resolution)
    assert price is not None  # key_info checked the plan offers it
    return Spec(tile.project_id, tile.kind or "t2v", model, tile.model_key, tile.prompt,
                tile.aspect, tile.clip_seconds, tile.resolution, price, 1,
                None if tile.kind == "r2v" else tile.start_media, tile.end_media, True,
                tile.agent, tuple(tile.references), list(tile.runs), str(uuid.uuid4()))


def title(tile: Tile) -> str:
    """The clip title Flow shows once rendering started (so a title does not mean done)."""
    if tile.state in ("pending", "queued") or (tile.state == "failed" and tile.percent is None):
        return ""
    words = tile.prompt.split()[:TITLE_WORDS]
    return " ".join(w[:1].upper() + w[1:] for w in words)


def wire_record(sim: Sim, tile: Tile, lang: str, *, submitted: bool = False,
                media_reply: bool = False) -> list:
    """R of `tile` as the page reads it (records.py): URLs only in the media reply (as29s),
    the size once done, flowsim's extras at R[8]."""
    done = tile.state == "done" and not submitted
    urls = done and media_reply
    extras = [title(tile), tile.agent,
              media.preview_url(tile.tile_id) if urls else None,
              media.asb_url(sim, tile.tile_id) if urls else None,
              tile.aspect, tile.resolution]
    path = sim.video_path(tile.tile_id)
    size = path.stat().st_size if done and path.exists() else None
    return records.record(
        tile, error=i18n_server.translate(tile.error, lang), extras=extras, submitted=submitted,
        poster_url=media.image_url(sim, tile.tile_id) if urls else None,
        video_url=media.video_url(sim, tile.tile_id) if urls else None, size_bytes=size)


def wire_item(tile: Tile) -> list:
    """The workflow item I of `tile` (its title as the tile shows it now)."""
    return records.item(tile, title(tile))


def upscale_seconds(sim: Sim) -> float | None:
    """Seconds until an on-demand upscale is ready; None = never (a negative setting)."""
    value = sim.config.upscale_1080_seconds
    if value is None:
        value = sim.config.generation_seconds
        if value is None:
            return sim.config.upscale_duration(sim.rng)
    return None if value < 0 else float(value)
