"""The JSON API the simulator's own page JavaScript calls (cookie required, like Flow's)."""

from __future__ import annotations

import io

from aiohttp import web
from PIL import Image, UnidentifiedImageError

from flowsim import texts
from flowsim.auth import SIM_KEY, signed_in, signin_url
from flowsim.model import MODELS
from flowsim.sim import Refused, Request, Sim

QUALITIES = {"720p": "video/mp4", "1080p": "video/mp4", "270p": "image/gif"}


@web.middleware
async def require_session(request: web.Request, handler):
    """Page API calls with an expired session get 401 and the sign-in URL to go to."""
    if request.path.startswith("/fx/api/") and not signed_in(request):
        referer = request.headers.get("Referer")
        return web.json_response({"redirect": signin_url(request, referer)}, status=401)
    return await handler(request)


def sim_of(request: web.Request) -> Sim:
    """The simulator behind this request."""
    return request.app[SIM_KEY]


async def account(request: web.Request) -> web.Response:
    """Account flags, credits, variant and project list for the home page."""
    sim = sim_of(request)
    projects = sorted(sim.projects.values(), key=lambda p: p.created_at, reverse=True)
    return web.json_response({
        "landing_seen": sim.landing_seen, "welcome_seen": sim.welcome_seen,
        "promo_delay": None if sim.promo_seen else sim.config.promo_delay,
        "credits": sim.credits_left, "variant": sim.config.variant,
        "projects": [{"project_id": p.project_id, "title": p.title} for p in projects],
    })


async def flag(request: web.Request) -> web.Response:
    """Remember that a one-time screen (landing, welcome, promo) was dismissed."""
    sim = sim_of(request)
    name = request.match_info["flag"]
    if name not in ("landing_seen", "welcome_seen", "promo_seen"):
        raise web.HTTPNotFound()
    setattr(sim, name, True)
    return web.json_response({"ok": True})


async def new_project(request: web.Request) -> web.Response:
    """The `add_2 New project` button."""
    project = sim_of(request).new_project()
    return web.json_response({"project_id": project.project_id, "title": project.title})


def notices(sim: Sim) -> list[str]:
    """System notices shown top right while a mode is on."""
    out = []
    if sim.config.high_demand:
        out.append(texts.HIGH_DEMAND)
    if sim.config.unusual_activity:
        out.append(texts.UNUSUAL_ACTIVITY)
    return out


async def project_state(request: web.Request) -> web.Response:
    """What the project page polls: tiles newest first, credits, notices."""
    sim = sim_of(request)
    project = sim.projects.get(request.match_info["project_id"])
    if project is None:
        raise web.HTTPNotFound()
    return web.json_response({
        "project_id": project.project_id, "title": project.title,
        "tiles": [sim.tiles[t].public() for t in project.tile_ids],
        "credits": sim.credits_left, "costs": MODELS, "variant": sim.config.variant,
        "notices": notices(sim),
    })


async def upload(request: web.Request) -> web.Response:
    """Store a cropped start frame; anything that is not a sane image is refused."""
    sim = sim_of(request)
    data = await request.read()
    if not data or len(data) > sim.config.max_upload_bytes:
        return web.json_response({"error": "rejected"}, status=400)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            fmt = (image.format or "png").lower()
    except (UnidentifiedImageError, OSError, SyntaxError):
        return web.json_response({"error": "rejected"}, status=400)
    media_id = sim.add_media(data, "." + ("jpg" if fmt == "jpeg" else fmt))
    return web.json_response({"media_id": media_id, "url": f"/fx/api/media/{media_id}"})


async def media(request: web.Request) -> web.StreamResponse:
    """An uploaded start frame (slot thumbnail)."""
    path = sim_of(request).media.get(request.match_info["media_id"])
    if path is None:
        raise web.HTTPNotFound()
    return web.FileResponse(path)


async def generate(request: web.Request) -> web.Response:
    """The Create click: accepted (tiles) or refused (429 with the toast text)."""
    sim = sim_of(request)
    project_id = request.match_info["project_id"]
    if project_id not in sim.projects:
        raise web.HTTPNotFound()
    try:
        body = await request.json()
        start = body.get("start_media")
        req = Request(
            prompt=str(body.get("prompt", "")), model=str(body.get("model")),
            aspect=str(body.get("aspect")), outputs=int(body.get("outputs", 1)),
            start_media=start if start in sim.media else None, mode=str(body.get("mode", "")),
        )
    except (ValueError, TypeError, AttributeError):
        return web.json_response({"error": texts.SOMETHING_WRONG, "reason": "bad_request"},
                                 status=400)
    try:
        tiles = sim.submit(project_id, req)
    except Refused as refusal:
        return web.json_response({"error": refusal.text, "reason": refusal.reason}, status=429)
    return web.json_response({"tiles": [t.public() for t in tiles]})


async def retry(request: web.Request) -> web.Response:
    """The Retry control of a failed tile."""
    sim = sim_of(request)
    if request.match_info["tile_id"] not in sim.tiles:
        raise web.HTTPNotFound()
    try:
        tile = sim.retry(request.match_info["tile_id"])
    except Refused as refusal:
        return web.json_response({"error": refusal.text, "reason": refusal.reason}, status=429)
    return web.json_response({"tile": tile.public()})


async def upscale(request: web.Request) -> web.Response:
    """The `Upscaled (1080p)` menu item: start the upscale."""
    sim = sim_of(request)
    tile = sim.tiles.get(request.match_info["tile_id"])
    if tile is None or tile.state != "done":
        raise web.HTTPNotFound()
    sim.start_upscale(tile.tile_id)
    return web.json_response({"upscale": tile.upscale})


async def download(request: web.Request) -> web.StreamResponse:
    """A download with Content-Disposition: attachment, as the menu items trigger."""
    sim = sim_of(request)
    tile = sim.tiles.get(request.match_info["tile_id"])
    quality = request.query.get("quality", "720p")
    if tile is None or tile.state != "done" or quality not in QUALITIES:
        raise web.HTTPNotFound()
    if quality == "1080p" and tile.upscale != "done":
        raise web.HTTPConflict(text="not upscaled yet")
    data = await sim.download_bytes(tile.tile_id, quality)
    ext = "gif" if quality == "270p" else "mp4"
    name = f"flow_{tile.tile_id[:8]}_{quality}.{ext}"
    return web.Response(body=data, headers={
        "Content-Type": QUALITIES[quality],
        "Content-Disposition": f'attachment; filename="{name}"',
    })


def add_routes(app: web.Application) -> None:
    """Mount the page API under /fx/api/."""
    app.middlewares.append(require_session)
    r = app.router
    r.add_get("/fx/api/account", account)
    r.add_post("/fx/api/flags/{flag}", flag)
    r.add_post("/fx/api/projects", new_project)
    r.add_get("/fx/api/projects/{project_id}/state", project_state)
    r.add_post("/fx/api/projects/{project_id}/uploads", upload)
    r.add_post("/fx/api/projects/{project_id}/generate", generate)
    r.add_get("/fx/api/media/{media_id}", media)
    r.add_post("/fx/api/tiles/{tile_id}/retry", retry)
    r.add_post("/fx/api/tiles/{tile_id}/upscale", upscale)
    r.add_get("/fx/api/tiles/{tile_id}/download", download)
