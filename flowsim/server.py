"""The aiohttp application: Flow's pages, the page's JSON API and the media files."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

from flowsim import api, control_api
from flowsim.auth import SIGNIN_PATH, SIM_KEY, signed_in, signin_url
from flowsim.sim import Sim
from flowsim.v2026 import routes as routes2026

HERE = Path(__file__).parent


def template(name: str) -> str:
    """The text of a bundled HTML template."""
    return (HERE / "templates" / name).read_text()


def app_page(sim: Sim, boot: dict) -> web.Response:
    """The app shell with the boot data the page script reads."""
    boot = {"variant": sim.config.variant, "max_upload_bytes": sim.config.max_upload_bytes, **boot}
    html = template("app.html").replace("{{VARIANT}}", sim.config.variant)
    html = html.replace("{{BOOT}}", json.dumps(boot).replace("</", "<\\/"))
    return web.Response(text=html, content_type="text/html")


async def home(request: web.Request) -> web.StreamResponse:
    """The Flow home page (landing on first run); 308 to `/` while flow2026 plays."""
    routes2026.classic_redirect(request, "/")
    if not signed_in(request):
        raise web.HTTPFound(signin_url(request))
    return app_page(request.app[SIM_KEY], {"page": "home"})


async def project_page(request: web.Request) -> web.StreamResponse:
    """A project page, or a 404 page for an unknown id; 308 to `/project/<id>` under flow2026."""
    routes2026.classic_redirect(request, f"/project/{request.match_info['project_id']}")
    if not signed_in(request):
        raise web.HTTPFound(signin_url(request))
    sim = request.app[SIM_KEY]
    project_id = request.match_info["project_id"]
    if project_id not in sim.projects:
        return web.Response(status=404, text=template("notfound.html"), content_type="text/html")
    return app_page(sim, {"page": "project", "project_id": project_id})


async def signin(request: web.Request) -> web.Response:
    """The fake Google sign-in page an expired session lands on."""
    return web.Response(text=template("signin.html"), content_type="text/html")


async def favicon(request: web.Request) -> web.Response:
    """No icon; answered so the console stays clean."""
    return web.Response(status=204)




async def storage(request: web.Request) -> web.StreamResponse:
    """The finished clip, like Flow's signed storage.googleapis.com URL (no cookie needed)."""
    sim = request.app[SIM_KEY]
    tile = sim.tiles.get(request.match_info["tile_id"])
    if tile is None or tile.state != "done":
        raise web.HTTPNotFound()
    return web.FileResponse(sim.video_path(tile.tile_id), headers={"Content-Type": "video/mp4"})


def make_app(sim: Sim) -> web.Application:
    """Build the simulator's web application around `sim`."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[SIM_KEY] = sim
    app.router.add_get("/", routes2026.home)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_get("/fx/tools/flow", home)
    app.router.add_get("/fx/tools/flow/", home)
    app.router.add_get("/fx/tools/flow/project/{project_id}", project_page)
    app.router.add_get(SIGNIN_PATH, signin)
    app.router.add_get("/storage/flowsim/{tile_id}.mp4", storage)
    app.router.add_static("/fx/static", HERE / "static")
    api.add_routes(app)
    routes2026.add_routes(app)
    control_api.add_routes(app)

    async def on_startup(_app: web.Application) -> None:
        """Start the progress clock inside the server loop."""
        sim.start()

    async def on_cleanup(_app: web.Application) -> None:
        """Stop the clock and renders."""
        await sim.stop()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app
