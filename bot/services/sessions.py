"""The Flow account's sign-in: validating, storing and verifying what an admin sends to /login.

Two formats are accepted (SPEC §1.4): a Playwright `storage_state` JSON (``{"cookies": [...],
"origins": [...]}``) and a browser-extension cookies export (a JSON list of cookies with
``expirationDate``/``sameSite`` as Cookie-Editor and EditThisCookie write them). Both become a
storage_state written atomically with mode 0600, first as a candidate next to the live file; the
live file is replaced only once Flow, opened with the candidate, shows a signed-in page.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.logsafe import register_secret
from bot.pipeline.flow.api import SessionInfo
from bot.pipeline.flow.session import write_private

MAX_SESSION_BYTES = 2 * 1024 * 1024
MAX_COOKIES = 1000
# A storage_state is 4 levels deep ({"origins": [{"localStorage": [{...}]}]}); json.loads
# recurses once per level and a 100,000-deep file raises RecursionError, not ValueError.
MAX_JSON_DEPTH = 32
# A string, possessively, its closing quote optional: linear time on any input (an unclosed
# string simply runs to the end).
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*+"?')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_SAME_SITE = {
    "strict": "Strict",
    "lax": "Lax",
    "none": "None",
    "no_restriction": "None",
    "unspecified": "Lax",
}

# Opens Flow with the storage_state at the given path and reports whether it is signed in.
Verifier = Callable[[Path], Awaitable[SessionInfo]]
# Puts a verified candidate file in place of the live session file.
Installer = Callable[[Path], Awaitable[None]]


class SessionFileError(ValueError):
    """The uploaded file is not a usable session; the message says why in plain words."""


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    cookies: int
    info: SessionInfo | None
    message: str


def parse_session(data: bytes, flow_base_url: str) -> dict[str, Any]:
    """Turn uploaded bytes into a Playwright storage_state, or raise `SessionFileError`."""
    if not data:
        raise SessionFileError("the file is empty.")
    if len(data) > MAX_SESSION_BYTES:
        raise SessionFileError("the file is too large to be a session export.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if text is not None and json_depth(text) > MAX_JSON_DEPTH:
        raise SessionFileError(
            f"its JSON is nested more than {MAX_JSON_DEPTH} levels deep; a session export is not."
        )
    try:
        if text is None:
            raise ValueError("not UTF-8")
        doc = json.loads(text)
    except (ValueError, RecursionError):
        raise SessionFileError(
            "it is not JSON. Send a Playwright storage_state .json or a cookies export (.json)."
        ) from None
    if isinstance(doc, dict) and isinstance(doc.get("cookies"), list):
        raw, origins = doc["cookies"], doc.get("origins") or []
        if not isinstance(origins, list):
            raise SessionFileError("its 'origins' field is not a list.")
    elif isinstance(doc, list):
        raw, origins = doc, []
    else:
        raise SessionFileError(
            "it has no cookies. Export them with Playwright's storage_state or a cookies extension."
        )
    if not raw:
        raise SessionFileError("it contains no cookies.")
    if len(raw) > MAX_COOKIES:
        raise SessionFileError(f"it has {len(raw)} cookies, more than the {MAX_COOKIES} expected.")
    cookies = [_cookie(c, i) for i, c in enumerate(raw, 1)]
    host = (urlsplit(flow_base_url).hostname or "").lower()
    if not any(_domain_matches(c["domain"], host) for c in cookies):
        raise SessionFileError(
            f"none of its cookies belong to Google or {host}. Export them while signed in to Flow."
        )
    return {"cookies": cookies, "origins": origins}


def json_depth(text: str) -> int:
    """The deepest nesting of [ and { in a JSON text (brackets inside strings do not count),
    found without recursion so any input size is safe."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    steps = brackets.translate(_STEP)
    depth = deepest = 0
    for ch in steps:
        depth += 1 if ch == "+" else -1
        if depth > deepest:
            deepest = depth
    return deepest


_STEP = str.maketrans({"[": "+", "{": "+", "]": "-", "}": "-"})


def _cookie(c: Any, index: int) -> dict[str, Any]:
    if not isinstance(c, dict):
        raise SessionFileError(f"cookie #{index} is not an object.")
    name, value, domain = c.get("name"), c.get("value"), c.get("domain")
    if not isinstance(name, str) or not name or not isinstance(value, str):
        raise SessionFileError(f"cookie #{index} has no name or value.")
    if not isinstance(domain, str) or not domain:
        raise SessionFileError(f"cookie '{name}' has no domain.")
    expires = c.get("expires", c.get("expirationDate", -1))
    if c.get("session") is True or expires is None:
        expires = -1
    if not isinstance(expires, int | float):
        raise SessionFileError(f"cookie '{name}' has an invalid expiry.")
    same_site = _SAME_SITE.get(str(c.get("sameSite", "lax")).lower(), "Lax")
    return {
        "name": name,
        "value": value,
        "domain": domain,
        "path": c.get("path") or "/",
        "expires": float(expires),
        "httpOnly": bool(c.get("httpOnly", False)),
        "secure": bool(c.get("secure", False)),
        "sameSite": same_site,
    }


def _domain_matches(domain: str, host: str) -> bool:
    d = domain.lstrip(".").lower()
    return d == "google.com" or d.endswith(".google.com") or (
        bool(host) and (host == d or host.endswith("." + d))
    )


class SessionService:
    """Validate → write a 0600 candidate → verify it with Flow → install it, or drop it.

    `verifier` opens Flow with a candidate storage_state file and reports the sign-in state;
    `installer` swaps a verified candidate in for the live session file (the composition root
    makes it restart the Flow client, so the old browser context cannot write stale cookies
    back). Without an installer the file is simply moved into place.
    """

    def __init__(
        self,
        session_file: Path,
        flow_base_url: str,
        verifier: Verifier | None,
        installer: Installer | None = None,
    ) -> None:
        self.session_file = Path(session_file)
        self.flow_base_url = flow_base_url
        self.verifier = verifier
        self.installer = installer

    def parse(self, data: bytes) -> dict[str, Any]:
        state = parse_session(data, self.flow_base_url)
        for cookie in state["cookies"]:
            register_secret(cookie["value"])
        return state

    async def login(self, data: bytes) -> LoginResult:
        """Install the uploaded session if Flow accepts it; the current one stays otherwise."""
        try:
            # Scanning and parsing up to 2 MB of JSON takes a noticeable moment: off the loop.
            state = await asyncio.to_thread(parse_session, data, self.flow_base_url)
            for cookie in state["cookies"]:
                register_secret(cookie["value"])
        except SessionFileError as err:
            return LoginResult(False, 0, None, f"That file is not a usable session: {err}")
        candidate = self.session_file.with_name(self.session_file.name + ".candidate")
        write_private(candidate, json.dumps(state).encode())
        try:
            info: SessionInfo | None = None
            if self.verifier is not None:
                try:
                    info = await self.verifier(candidate)
                except Exception as err:  # noqa: BLE001 - any failure means "not verified"
                    info = SessionInfo(False, detail=f"could not open Flow ({type(err).__name__})")
                if not info.signed_in:
                    return LoginResult(
                        False,
                        len(state["cookies"]),
                        info,
                        "Flow did not accept this session (it shows the sign-in page). Sign in "
                        "to Flow in your browser, export the cookies again and send the file.",
                    )
            if self.installer is not None:
                await self.installer(candidate)
            else:
                os.replace(candidate, self.session_file)
            return LoginResult(True, len(state["cookies"]), info, "Signed in.")
        finally:
            candidate.unlink(missing_ok=True)
