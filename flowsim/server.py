"""The aiohttp application: flow.google.com's pages, its batchexecute wire and media
(`flowsim/v2026/routes.py`), the retired classic addresses answering 308 to the new ones, the
fake Google sign-in page and the `/__sim__/` control API."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from flowsim import control_api
from flowsim.auth import SIGNIN_PATH, SIM_KEY
from flowsim.sim import Sim
from flowsim.v2026 import routes as routes2026

HERE = Path(__file__).parent


def template(name: str) -> str:
    """The text of a bundled HTML template."""
    return (HERE / "templates" / name).read_text()


async def signin(request: web.Request) -> web.Response:
    """The fake Google sign-in page (the `/about` page's Sign in link leads here)."""
    return web.Response(text=template("signin.html"), content_type="text/html")


async def favicon(request: web.Request) -> web.Response:
    """No icon; answered so the console stays clean."""
    return web.Response(status=204)


def make_app(sim: Sim) -> web.Application:
    """Build the simulator's web application around `sim`."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[SIM_KEY] = sim
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_get(SIGNIN_PATH, signin)
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
