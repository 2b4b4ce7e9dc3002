"""The `/__sim__/` control API for tests and benchmarks (no cookie; never part of Flow)."""

from __future__ import annotations

import time

from aiohttp import web

from flowsim.auth import SIM_KEY, storage_state
from flowsim.model import SimConfig


def _sim(request: web.Request):
    return request.app[SIM_KEY]


async def _body(request: web.Request) -> dict:
    return await request.json() if request.can_read_body else {}


async def reset(request: web.Request) -> web.Response:
    """POST /__sim__/reset."""
    _sim(request).reset()
    return web.json_response({"ok": True})


async def configure(request: web.Request) -> web.Response:
    """POST /__sim__/configure with a JSON object of settings."""
    sim = _sim(request)
    try:
        sim.configure(**await _body(request))
    except (KeyError, ValueError, TypeError) as exc:
        return web.json_response({"error": f"bad setting: {exc}"}, status=400)
    return web.json_response(config_dict(sim.config))


def config_dict(config: SimConfig) -> dict:
    """The settings as JSON-able dict."""
    return dict(vars(config))


async def get_config(request: web.Request) -> web.Response:
    """GET /__sim__/config."""
    return web.json_response(config_dict(_sim(request).config))


async def fail_next(request: web.Request) -> web.Response:
    """POST /__sim__/fail_next {count, text, at_percent}."""
    body = await _body(request)
    sim = _sim(request)
    try:
        sim.fail_next(int(body.get("count", 1)), str(body["text"]), int(body.get("at_percent", 0)))
    except (KeyError, ValueError, TypeError) as exc:
        return web.json_response({"error": f"bad failure script: {exc}"}, status=400)
    return web.json_response({"failure_script_left": len(sim.failure_script)})


async def session(request: web.Request) -> web.Response:
    """POST /__sim__/expire_session or /__sim__/restore_session."""
    sim = _sim(request)
    sim.session_valid = request.match_info["action"] == "restore_session"
    return web.json_response({"session_valid": sim.session_valid})


async def truncate_next_download(request: web.Request) -> web.Response:
    """POST /__sim__/truncate_next_download."""
    _sim(request).truncate_next = True
    return web.json_response({"ok": True})


async def counters(request: web.Request) -> web.Response:
    """GET /__sim__/counters."""
    return web.json_response(_sim(request).counters())


async def tiles(request: web.Request) -> web.Response:
    """GET /__sim__/tiles: every tile, oldest first."""
    sim = _sim(request)
    ordered = sorted(sim.tiles.values(), key=lambda t: (t.created_at, t.output_index))
    return web.json_response([t.public() for t in ordered])


async def submissions(request: web.Request) -> web.Response:
    """GET /__sim__/submissions: the submission log."""
    return web.json_response(_sim(request).submission_log)


async def wire(request: web.Request) -> web.Response:
    """GET /__sim__/wire: every flow2026 batchexecute call, accepted or refused, oldest first."""
    return web.json_response(list(_sim(request).wire_log))


async def uploads(request: web.Request) -> web.Response:
    """GET /__sim__/uploads: flow2026 uploads, accepted (with their state now) and refused."""
    sim = _sim(request)
    now = time.time()
    accepted = [{"mediaId": a.media_id, "fileName": a.file_name, "state": a.state(now),
                 "refused": None, "projectId": a.project_id, "at": a.uploaded_at,
                 "replyLost": a.reply_lost}
                for a in sim.library.assets.values()]
    return web.json_response(accepted + sim.library.refused)


async def downloads(request: web.Request) -> web.Response:
    """GET /__sim__/downloads: downloads by size."""
    return web.json_response(dict(_sim(request).downloads))


async def consent(request: web.Request) -> web.Response:
    """GET /__sim__/consent: whether the upload rights dialog is still owed."""
    sim = _sim(request)
    return web.json_response({
        "accepted": sim.account.consent_accepted,
        "required": sim.config.upload_consent and not sim.account.consent_accepted,
    })


async def foreign_project(request: web.Request) -> web.Response:
    """GET /__sim__/foreign_project: a project uuid owned by another account."""
    return web.json_response({"projectId": _sim(request).account.foreign_project})


async def get_storage_state(request: web.Request) -> web.Response:
    """GET /__sim__/storage_state for the host the caller used."""
    return web.json_response(storage_state(_sim(request), request.url.host or "127.0.0.1"))


def add_routes(app: web.Application) -> None:
    """Mount the control API under /__sim__/."""
    r = app.router
    r.add_post("/__sim__/reset", reset)
    r.add_post("/__sim__/configure", configure)
    r.add_get("/__sim__/config", get_config)
    r.add_post("/__sim__/fail_next", fail_next)
    r.add_post("/__sim__/{action:expire_session|restore_session}", session)
    r.add_post("/__sim__/truncate_next_download", truncate_next_download)
    r.add_get("/__sim__/counters", counters)
    r.add_get("/__sim__/tiles", tiles)
    r.add_get("/__sim__/submissions", submissions)
    r.add_get("/__sim__/storage_state", get_storage_state)
    r.add_get("/__sim__/wire", wire)
    r.add_get("/__sim__/uploads", uploads)
    r.add_get("/__sim__/downloads", downloads)
    r.add_get("/__sim__/consent", consent)
    r.add_get("/__sim__/foreign_project", foreign_project)
