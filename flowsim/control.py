"""Clients of the `/__sim__/` control API: `SimControl` (async) and `SyncSimControl`."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import aiohttp


class SimControl:
    """Async client of a running flowsim's control API."""

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def _call(self, method: str, name: str, body: dict | None = None) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        url = f"{self.base_url}/__sim__/{name}"
        async with self._session.request(method, url, json=body) as resp:
            data = await resp.json()
            if resp.status >= 400:
                raise RuntimeError(f"flowsim {name}: {data}")
            return data

    async def reset(self) -> None:
        """Forget all projects, tiles, counters, scripts; restore start-up settings."""
        await self._call("POST", "reset")

    async def configure(self, **settings: Any) -> dict:
        """Change settings (generation_seconds, upscale_seconds, slots, credits, high_demand,
        rate_limit_per_minute, unusual_activity, max_upload_bytes, and the names of
        docs/flowsim-2026-contract.md: build ("december" | "october"), plan
        ("free" | "pro" | "ultra"), cookie_bar, agent_panel, ..., and December's traps
        firewall_min_gap_s, poll_refusal_next, upload_reply_lost_next, model_picker_hidden,
        translate_bar, upscale_unusual_activity_next)."""
        return await self._call("POST", "configure", settings)

    async def config(self) -> dict:
        """The current settings."""
        return await self._call("GET", "config")

    async def fail_next(self, count: int, text: str, at_percent: int = 0) -> None:
        """Make the next `count` generations (tiles) fail with `text` once they reach
        `at_percent` (0: before any percentage shows). `text` may be a key of
        `flowsim.texts.FAILURES`."""
        await self._call("POST", "fail_next", {"count": count, "text": text,
                                                "at_percent": at_percent})

    async def expire_session(self) -> None:
        """From now on every Flow page redirects to the fake Google sign-in page."""
        await self._call("POST", "expire_session")

    async def restore_session(self) -> None:
        """Make the account cookie valid again."""
        await self._call("POST", "restore_session")

    async def truncate_next_download(self) -> None:
        """Serve the next MP4 download cut to half its size."""
        await self._call("POST", "truncate_next_download")

    async def counters(self) -> dict:
        """submissions, tiles_created, credits_spent, credits_left, active_renders,
        max_active_renders, refusals, downloads, ..."""
        return await self._call("GET", "counters")

    async def tiles(self) -> list[dict]:
        """Every tile, oldest first, as dicts (tile_id, project_id, prompt, state, percent,
        created_at, finished_at, error, ...)."""
        return await self._call("GET", "tiles")

    async def submissions(self) -> list[dict]:
        """The submission log, one entry per accepted Create click or Retry."""
        return await self._call("GET", "submissions")

    async def storage_state(self) -> dict:
        """A Playwright storage_state dict signed in to the simulator."""
        return await self._call("GET", "storage_state")

    async def wire(self) -> list[dict]:
        """flow2026: every batchexecute call, oldest first (rpc, kind, project, media_ids,
        model, model_key, duration, resolution, aspect, count, credits, refused, trusted, at;
        submits also client_request_id and agent)."""
        return await self._call("GET", "wire")

    async def uploads(self) -> list[dict]:
        """flow2026: uploads (mediaId, fileName, state, refused; accepted ones also projectId,
        at and replyLost), refused ones last."""
        return await self._call("GET", "uploads")

    async def downloads(self) -> dict:
        """Downloads by size ({"720p": n, ...})."""
        return await self._call("GET", "downloads")

    async def consent(self) -> dict:
        """flow2026: {"accepted": bool, "required": bool} for the upload rights dialog."""
        return await self._call("GET", "consent")

    async def foreign_project(self) -> str:
        """flow2026: a project uuid owned by another account (its page → /404?reason=project)."""
        return (await self._call("GET", "foreign_project"))["projectId"]

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None


class SyncSimControl:
    """Blocking twin of `SimControl` for non-async code (urllib, no event loop needed)."""

    def __init__(self, base_url: str, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, name: str, body: dict | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.base_url}/__sim__/{name}", data=data, method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            return json.loads(resp.read())

    def reset(self) -> None:
        """See `SimControl.reset`."""
        self._call("POST", "reset")

    def configure(self, **settings: Any) -> dict:
        """See `SimControl.configure`."""
        return self._call("POST", "configure", settings)

    def config(self) -> dict:
        """See `SimControl.config`."""
        return self._call("GET", "config")

    def fail_next(self, count: int, text: str, at_percent: int = 0) -> None:
        """See `SimControl.fail_next`."""
        self._call("POST", "fail_next", {"count": count, "text": text, "at_percent": at_percent})

    def expire_session(self) -> None:
        """See `SimControl.expire_session`."""
        self._call("POST", "expire_session")

    def restore_session(self) -> None:
        """See `SimControl.restore_session`."""
        self._call("POST", "restore_session")

    def truncate_next_download(self) -> None:
        """See `SimControl.truncate_next_download`."""
        self._call("POST", "truncate_next_download")

    def counters(self) -> dict:
        """See `SimControl.counters`."""
        return self._call("GET", "counters")

    def tiles(self) -> list[dict]:
        """See `SimControl.tiles`."""
        return self._call("GET", "tiles")

    def submissions(self) -> list[dict]:
        """See `SimControl.submissions`."""
        return self._call("GET", "submissions")

    def storage_state(self) -> dict:
        """See `SimControl.storage_state`."""
        return self._call("GET", "storage_state")

    def wire(self) -> list[dict]:
        """See `SimControl.wire`."""
        return self._call("GET", "wire")

    def uploads(self) -> list[dict]:
        """See `SimControl.uploads`."""
        return self._call("GET", "uploads")

    def downloads(self) -> dict:
        """See `SimControl.downloads`."""
        return self._call("GET", "downloads")

    def consent(self) -> dict:
        """See `SimControl.consent`."""
        return self._call("GET", "consent")

    def foreign_project(self) -> str:
        """See `SimControl.foreign_project`."""
        return self._call("GET", "foreign_project")["projectId"]
