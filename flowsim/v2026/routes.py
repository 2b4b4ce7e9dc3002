"""flow.google.com's addresses: the app pages, `/about`, `/404?reason=project`, the batchexecute
endpoint, media under `/fx-content/` and `/asb/`, and the 308s from the retired classic paths."""

from __future__ import annotations

import asyncio
import json
import re
import time
from html import escape
from pathlib import Path

from aiohttp import web

from flowsim.auth import SIGNIN_PATH, SIM_KEY, signed_in
from flowsim.sim import Sim
from flowsim.v2026 import catalog, i18n_server, media, rpc, wire

HERE = Path(__file__).resolve().parent.parent
VARIANT = "flow2026"  # the boot data's label of the page (flowsim's one variant)
UUID = r"[0-9a-fA-F-]{36}"
DOWNLOAD_TYPES = {"270p": "image/gif", "720p": "video/mp4", "1080p": "video/mp4",
                  "4K": "video/mp4"}
# Envelope bound: an upload at the size limit, base64 and urlencoded, plus room for the JSON.
ENVELOPE_SLACK = 64 * 1024


def sim_of(request: web.Request) -> Sim:
    """The simulator behind this request."""
    return request.app[SIM_KEY]


def lang_of(request: web.Request) -> str:
    """The page language: `hl`, else Accept-Language, else English."""
    return i18n_server.pick_lang(request.query.get("hl"),
                                 request.headers.get("Accept-Language"))


def classic_redirect(request: web.Request, target: str) -> web.HTTPPermanentRedirect:
    """The 308 a retired classic `/fx/tools/flow…` path answers with (the real site's since
    September 2026): `target` on the new site, the query kept, signed in or not."""
    query = f"?{request.query_string}" if request.query_string else ""
    return web.HTTPPermanentRedirect(target + query)


async def classic_home(request: web.Request) -> web.StreamResponse:
    """`/fx/tools/flow[/]`: 308 to `/`."""
    raise classic_redirect(request, "/")


async def classic_project(request: web.Request) -> web.StreamResponse:
    """`/fx/tools/flow/project/<id>`: 308 to `/project/<id>` (a 404 there when unknown)."""
    raise classic_redirect(request, f"/project/{request.match_info['project_id']}")


# ---- pages --------------------------------------------------------------------------------
def boot_data(sim: Sim, lang: str, page: str, project_id: str | None = None,
              media_id: str | None = None, extra: dict | None = None) -> dict:
    """The boot JSON of the page (docs/flowsim-2026-contract.md)."""
    config = sim.config
    acc = sim.account
    projects = sorted(sim.projects.values(), key=lambda p: p.created_at, reverse=True)
    offered = catalog.offered(config.plan, config.lower_priority_model, config.build)
    return {
        "variant": VARIANT, "lang": lang, "page": page, "projectId": project_id,
        # The page's batchexecute token (`at`, per session; signed-in pages only) and build
        # label (`bl`).
        "at": wire.at_token(sim.session_token) if page != "about" else None,
        "build": wire.BUILD_LABELS[config.build],
        "mediaId": media_id,
        "projectTitle": sim.projects[project_id].title if project_id else None,
        "projects": [{"projectId": p.project_id, "title": p.title} for p in projects],
        "account": {
            "name": acc.name, "plan": config.plan, "credits": sim.credits_left,
            "cookieBar": "off" if "cookie_bar" in acc.dismissed else config.cookie_bar,
            "agentPanel": config.agent_panel and "agent_panel" not in acc.dismissed,
            "changelog": config.changelog and "changelog" not in acc.dismissed,
            "agentChip": acc.agent_chip, "agentOnly": config.agent_only,
            "uploadConsent": config.upload_consent and not acc.consent_accepted,
            "framesMode": rpc.frames_mode(sim),
        },
        "config": dict(vars(config)),
        "catalog": catalog.boot_catalog(config.plan, config.lower_priority_model,
                                        config.compatible_model_switch, config.build),
        "models": [m.label for m in offered],
        # The model a new project (and a page without a model picker) starts with.
        "defaultModel": catalog.default_model(config.build, config.plan,
                                              config.lower_priority_model),
        "characters": [{"characterId": cid, "name": c["name"]}
                       for cid, c in acc.characters.items() if c["project"] == project_id],
        **(extra or {}),
    }


def render_page(sim: Sim, lang: str, boot: dict, status: int = 200) -> web.Response:
    """app2026.html with `{{LANG}}` and `{{BOOT}}` (JSON with `</` escaped) filled in."""
    html = (HERE / "templates" / "app2026.html").read_text()
    html = html.replace("{{LANG}}", lang)
    html = html.replace("{{BOOT}}", json.dumps(boot).replace("</", "<\\/"))
    return web.Response(text=html, content_type="text/html", status=status)


def require_page(request: web.Request) -> Sim:
    """The simulator, if the visitor is signed in; redirects to `/about` otherwise."""
    if not signed_in(request):
        raise web.HTTPFound("/about")
    return sim_of(request)


async def home(request: web.Request) -> web.StreamResponse:
    """`/`: the projects page."""
    sim = require_page(request)
    lang = lang_of(request)
    return render_page(sim, lang, boot_data(sim, lang, "home"))


async def about(request: web.Request) -> web.StreamResponse:
    """`/about`: the public landing page, where every signed-out visit ends."""
    sim, lang = sim_of(request), lang_of(request)
    boot = boot_data(sim, lang, "about")
    boot["signInUrl"] = f"{SIGNIN_PATH}?continue=%2F"
    return render_page(sim, lang, boot)


def _project(request: web.Request) -> tuple[Sim, str]:
    sim = require_page(request)
    project_id = request.match_info["project_id"]
    if project_id == sim.account.foreign_project:
        raise web.HTTPFound("/404?reason=project")
    if project_id not in sim.projects:
        raise not_found(request)
    return sim, project_id


async def project_page(request: web.Request) -> web.StreamResponse:
    """`/project/<uuid>`: counted server-side (the unusual-activity lock waits for a reload)."""
    sim, project_id = _project(request)
    sim.account.page_loaded()
    lang = lang_of(request)
    return render_page(sim, lang, boot_data(sim, lang, "project", project_id))


async def edit_page(request: web.Request) -> web.StreamResponse:
    """`/project/<uuid>/edit/<media>`: the edit view of one finished clip."""
    sim, project_id = _project(request)
    media_id = request.match_info["media_id"]
    tile = sim.tiles.get(media_id)
    if tile is None or tile.project_id != project_id or tile.state != "done":
        raise not_found(request)
    sim.account.page_loaded()
    lang = lang_of(request)
    return render_page(sim, lang, boot_data(sim, lang, "edit", project_id, media_id))


async def scene_page(request: web.Request) -> web.StreamResponse:
    """`/project/<uuid>/scene/<uuid>`: a scene of the project (the scene builder, empty)."""
    sim, project_id = _project(request)
    scene_id = request.match_info["scene_id"]
    if sim.account.scenes.get(scene_id) != project_id:
        raise not_found(request)
    lang = lang_of(request)
    return render_page(sim, lang, boot_data(sim, lang, "scene", project_id,
                                            extra={"sceneId": scene_id}))


async def character_page(request: web.Request) -> web.StreamResponse:
    """`/project/<uuid>/character[/<uuid>]`: create a character, or one character."""
    sim, project_id = _project(request)
    character_id = request.match_info.get("character_id")
    found = sim.account.characters.get(character_id) if character_id else None
    if character_id and (found is None or found["project"] != project_id):
        raise not_found(request)
    lang = lang_of(request)
    extra = {"characterId": character_id, "characterName": found["name"] if found else None}
    return render_page(sim, lang, boot_data(sim, lang, "character", project_id, extra=extra))


async def tools_page(request: web.Request) -> web.StreamResponse:
    """`/project/<uuid>/tools`: the project's tools page."""
    sim, project_id = _project(request)
    lang = lang_of(request)
    return render_page(sim, lang, boot_data(sim, lang, "tools", project_id))


def not_found(request: web.Request) -> web.HTTPNotFound:
    """The 404 page (also `/404?reason=project`), in the page language."""
    lang = lang_of(request)
    text = escape(i18n_server.text("not_found_project", lang))
    body = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>Google Flow - 404</title></head><body><main><h1>404</h1><p>{text}</p>"
            f'<a href="/">Google Flow</a></main></body></html>')
    return web.HTTPNotFound(text=body, content_type="text/html")


async def page_404(request: web.Request) -> web.StreamResponse:
    """`/404?reason=project`."""
    raise not_found(request)


# ---- the wire -----------------------------------------------------------------------------
def session_401(request: web.Request) -> web.Response | None:
    """What a page call (wire, download) gets without a session: 401 pointing to `/about`.
    None when the call may go on."""
    if not signed_in(request):
        return web.json_response({"redirect": "/about"}, status=401)
    return None


async def batchexecute(request: web.Request) -> web.StreamResponse:
    """POST batchexecute?rpcids=<ID>: 401 without a session, 400 when malformed (or without
    the session's `at`), else 200 with the chunked reply."""
    sim = sim_of(request)
    if refused := session_401(request):
        return refused
    started = wire.now_ms()
    rpc_id = request.query.get("rpcids")
    if rpc_id in catalog.RPC_KINDS and sim.account.firewall(time.time(),
                                                             sim.config.firewall_min_gap_s):
        # Google's front end, before Flow sees the call: nothing parsed, nothing billed.
        rpc.record_firewall(sim, rpc_id)
        return web.Response(status=403, text=wire.firewall_page(request.path),
                            content_type="text/html", charset="utf-8")
    bound = (sim.config.max_upload_bytes * 4 // 3) * 3 + ENVELOPE_SLACK  # %-encoding: x3
    if request.content_length is None or request.content_length > bound:
        rpc.record_malformed(sim, rpc_id, "missing or excessive Content-Length")
        return _bad_request("body too large")
    lang = i18n_server.pick_lang(request.query.get("hl"), request.headers.get("Accept-Language"))
    try:
        rpc_id, payload = wire.parse(rpc_id, request.headers.get("Content-Type", ""),
                                     await request.read(), wire.at_token(sim.session_token))
    except wire.BadRequest as exc:
        rpc.record_malformed(sim, rpc_id, str(exc))
        return _bad_request(str(exc))
    try:
        result, call = rpc.handle(sim, rpc_id, payload, lang)
    except wire.BadRequest as exc:
        return _bad_request(str(exc))
    if rpc_id in catalog.RPC_KINDS and sim.config.submit_reply_ms:
        # Real Flow answers a submit 4-5 s after the click; the tiles already exist by then.
        await asyncio.sleep(sim.config.submit_reply_ms / 1000)
    if call.reply_at is not None:
        await asyncio.sleep(max(0.0, call.reply_at - time.time()))
    elapsed = wire.now_ms() - started
    if isinstance(result, rpc.Refusal):
        body = wire.refusal(rpc_id, result.code, result.reason, result.message, elapsed)
    else:
        body = wire.reply(rpc_id, result, elapsed)
    if call.lost:
        return await _lost_reply(request, body)
    return web.Response(text=body, content_type="application/json", charset="utf-8")


async def _lost_reply(request: web.Request, body: str) -> web.StreamResponse:
    """A 200 whose body breaks off (chunked, never finished): the connection drops after the
    first bytes, so the page's read of the body fails (Chromium: ERR_INCOMPLETE_CHUNKED_
    ENCODING) although the server did the work."""
    resp = web.StreamResponse(status=200, headers={
        "Content-Type": "application/json; charset=utf-8"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    await resp.write(wire.lost_prefix(body).encode())
    if request.transport is not None:
        request.transport.abort()
    return resp


def _bad_request(detail: str) -> web.Response:
    return web.Response(status=400, text=wire.error_reply(detail),
                        content_type="application/json", charset="utf-8")


# ---- media --------------------------------------------------------------------------------
def _signed(request: web.Request, media_id: str) -> Sim:
    sim = sim_of(request)
    if not media.valid(sim, media_id, request.query.get("sig")):
        raise web.HTTPForbidden()
    return sim


def _thumbnail(sim: Sim, media_id: str) -> Path | None:
    if media_id in sim.media:
        return sim.media[media_id]  # an upload
    tile = sim.tiles.get(media_id)
    if tile is None or tile.state != "done":
        return None
    frame = sim.media.get(tile.start_media or "")
    return frame or sim.studio.media_dir / f"frame-{tile.tile_id}.png"


async def image(request: web.Request) -> web.StreamResponse:
    """`/fx-content/image/<id>?sig=`: an upload or a clip's thumbnail."""
    media_id = request.match_info["media_id"]
    sim = _signed(request, media_id)
    path = _thumbnail(sim, media_id)
    if path is None or not path.exists():
        raise web.HTTPNotFound()
    return web.FileResponse(path)


def _done(sim: Sim, media_id: str):
    tile = sim.tiles.get(media_id)
    if tile is None or tile.state != "done":
        raise web.HTTPNotFound()
    return tile


async def video(request: web.Request) -> web.StreamResponse:
    """`/fx-content/video/<id>.mp4?sig=`: the original clip."""
    media_id = request.match_info["media_id"]
    sim = _signed(request, media_id)
    _done(sim, media_id)
    return web.FileResponse(sim.video_path(media_id), headers={"Content-Type": "video/mp4"})


async def preview(request: web.Request) -> web.StreamResponse:
    """`/fx-content/preview/<id>.mp4`: the hover video, a half-bitrate re-encode."""
    sim = sim_of(request)
    tile = _done(sim, request.match_info["media_id"])
    path = await sim.studio.preview(tile.tile_id)
    return web.FileResponse(path, headers={"Content-Type": "video/mp4"})


async def asb(request: web.Request) -> web.StreamResponse:
    """`/asb/<token>`: an opaque thumbnail (no media id in the address)."""
    sim = sim_of(request)
    media_id = media.resolve_asb(sim, request.match_info["token"])
    path = _thumbnail(sim, media_id) if media_id else None
    if path is None or not path.exists():
        raise web.HTTPNotFound()
    return web.FileResponse(path)


async def download(request: web.Request) -> web.StreamResponse:
    """`/fx-content/download/<id>?size=`: a menu download (attachment), counted by size."""
    sim = sim_of(request)
    if refused := session_401(request):
        return refused
    tile = _done(sim, request.match_info["media_id"])
    size = request.query.get("size", "720p")
    if size not in DOWNLOAD_TYPES:
        raise web.HTTPBadRequest(text="size must be 270p, 720p, 1080p or 4K")
    if size == "1080p" and tile.upscale != "done" or size == "4K" and tile.upscale_4k != "done":
        raise web.HTTPConflict(text=f"{size} is not ready; request it with Qq9xPa")
    data = await sim.download_bytes(tile.tile_id, size)
    ext = "gif" if size == "270p" else "mp4"
    name = re.sub(r"[^A-Za-z0-9 _-]", "", tile.prompt)[:40].strip() or "flow"
    return web.Response(body=data, headers={
        "Content-Type": DOWNLOAD_TYPES[size],
        "Content-Disposition": f'attachment; filename="{name}_{size}.{ext}"',
    })


def add_routes(app: web.Application) -> None:
    """Mount flow.google.com's addresses, and the 308s of the retired classic ones."""
    r = app.router
    r.add_get("/", home)
    r.add_get("/fx/tools/flow", classic_home)
    r.add_get("/fx/tools/flow/", classic_home)
    r.add_get("/fx/tools/flow/project/{project_id}", classic_project)
    r.add_get("/about", about)
    r.add_get("/404", page_404)
    r.add_get(f"/project/{{project_id:{UUID}}}", project_page)
    r.add_get(f"/project/{{project_id:{UUID}}}/edit/{{media_id:{UUID}}}", edit_page)
    r.add_get(f"/project/{{project_id:{UUID}}}/scene/{{scene_id:{UUID}}}", scene_page)
    r.add_get(f"/project/{{project_id:{UUID}}}/character", character_page)
    r.add_get(f"/project/{{project_id:{UUID}}}/character/{{character_id:{UUID}}}",
              character_page)
    r.add_get(f"/project/{{project_id:{UUID}}}/tools", tools_page)
    r.add_post(wire.PATH, batchexecute)
    r.add_get(f"/fx-content/image/{{media_id:{UUID}}}", image)
    r.add_get(f"/fx-content/video/{{media_id:{UUID}}}.mp4", video)
    r.add_get(f"/fx-content/preview/{{media_id:{UUID}}}.mp4", preview)
    r.add_get(f"/fx-content/download/{{media_id:{UUID}}}", download)
    r.add_get("/asb/{token:[0-9a-f]{40}}", asb)
    static = HERE / "static2026"
    if static.is_dir():  # the page's scripts and styles (owned by the page's builder)
        r.add_static("/static2026", static)
