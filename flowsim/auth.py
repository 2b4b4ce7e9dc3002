"""The signed-in state: one account cookie, which the control API can expire and restore."""

from __future__ import annotations

from aiohttp import web

from flowsim.sim import Sim

COOKIE = "flowsim_session"
SIGNIN_PATH = "/accounts.google.com/v3/signin/identifier"
SIM_KEY = web.AppKey("sim", Sim)


def signed_in(request: web.Request) -> bool:
    """True when the request carries the account's cookie and the session is not expired."""
    sim = request.app[SIM_KEY]
    return sim.session_valid and request.cookies.get(COOKIE) == sim.session_token


def storage_state(sim: Sim, host: str) -> dict:
    """A Playwright storage_state signed in to the simulator at `host`."""
    cookie = {
        "name": COOKIE, "value": sim.session_token, "domain": host, "path": "/",
        "expires": -1, "httpOnly": True, "secure": False, "sameSite": "Lax",
    }
    return {"cookies": [cookie], "origins": []}
