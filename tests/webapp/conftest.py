"""Fixtures of the gallery tests: the real bot with its gallery served (aiohttp, port 0), the
fake Bot API, real SQLite and FFmpeg; batches whose clips are real MP4 files.

The pipeline's part is played at its boundary (as `tests/handlers/test_review_view.py` does):
a batch is made by the services, and a finished generation is what `collect` writes (clips as
ready files) followed by deliver's previews event. The browser journey runs the real pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import WebAppSettings
from tests.fixtures.media import make_clip
from tests.handlers.harness import ANN, bot_settings

PUBLIC_URL = "https://gallery.test"  # what Telegram would open; tests reach the local address
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "gallery"


def gallery_settings(telegram, data_dir: Path, flow_url: str | None = None, **webapp: Any):
    """Bot settings with the gallery on (any free port) and the review view as the default."""
    settings = bot_settings(telegram, data_dir, flow_url, review_mode="view")
    values: dict[str, Any] = dict(enabled=True, host="127.0.0.1", port=0, public_url=PUBLIC_URL)
    values.update(webapp)
    settings.webapp = WebAppSettings(_env_file=None, **values)  # type: ignore[call-arg]
    return settings


@pytest.fixture(scope="session")
def clip_file(tmp_path_factory) -> Path:
    """A small real clip (portrait, 1.5 s: long enough for a poster a second in)."""
    return make_clip(tmp_path_factory.mktemp("gallery-clips") / "c.mp4", 180, 320, 1.5, audio=False)


async def state_of(app) -> dict[str, list]:
    """Everything a gallery request could change: a refused one must leave all of it alone."""
    db = app.services["batches"].db
    tables = {
        "clips": "SELECT id, selected, status_4k, status_1080 FROM clips ORDER BY id",
        "items": "SELECT id, status, source_item_id FROM items ORDER BY id",
        "exports": "SELECT id, status, clip_ids_json FROM exports ORDER BY id",
        "tasks": "SELECT id, kind, status FROM tasks ORDER BY id",
        "audit": "SELECT id, action FROM audit ORDER BY id",
        "kv": "SELECT key, value FROM kv ORDER BY key",
    }
    return {name: [tuple(r) for r in await db.fetchall(sql)] for name, sql in tables.items()}


class Client:
    """The page's side of the API: init data in the Authorization header, JSON bodies."""

    def __init__(self, session: aiohttp.ClientSession, base: str, init_data: str | None) -> None:
        self.session, self.base, self.init_data = session, base, init_data

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"tma {self.init_data}"} if self.init_data is not None else {}

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.session.get(self.base + path, headers=self._headers()) as r:
            return r.status, await _body(r)

    async def post(self, path: str, body: Any = None, *, raw: bytes | None = None) -> tuple[int, Any]:
        data = raw if raw is not None else None
        kwargs: dict[str, Any] = {"data": data} if raw is not None else {"json": body or {}}
        async with self.session.post(self.base + path, headers=self._headers(), **kwargs) as r:
            return r.status, await _body(r)


async def _body(r: aiohttp.ClientResponse) -> Any:
    if r.content_type == "application/json":
        return await r.json()
    return await r.read()


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


__all__ = ["ANN", "ARTIFACTS", "PUBLIC_URL", "Client", "gallery_settings", "state_of"]
