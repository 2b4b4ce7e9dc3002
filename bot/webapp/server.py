"""`GalleryServer`: the gallery's aiohttp app, started and stopped with the bot (`BotApp`).

It listens on `WEBAPP_HOST:WEBAPP_PORT`; Telegram reaches it through the HTTPS address
`WEBAPP_PUBLIC_URL` (a reverse proxy or a tunnel in front, README "The gallery"). aiohttp's
access log stays off: media links carry their signature in the query, and a signed link is a
key for as long as it lives.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.clock import Clock
from bot.config import Settings
from bot.webapp.links import MediaSigner, media_key
from bot.webapp.posters import PosterCache
from bot.webapp.routes import DEPS, MAX_BODY, Deps, add_routes, api_guard, static_headers
from bot.webapp.views import Gallery

log = logging.getLogger(__name__)


class GalleryServer:
    """Builds the app from the bot's services; `start()` binds, `stop()` closes."""

    def __init__(self, settings: Settings, services: dict[str, Any], notifier: Any,
                 clock: Clock, store: Any = None) -> None:
        self.settings = settings
        self.posters = PosterCache(settings.upscale.ffmpeg_path)
        signer = MediaSigner(media_key(settings), settings.webapp.media_link_ttl_s)
        gallery = Gallery(settings, services["batches"], notifier.review, signer, self.posters,
                          clock, store)
        self.deps = Deps(gallery, settings.require_bot_token(), services["users"], notifier)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def app(self) -> web.Application:
        """The aiohttp application (routes, the init-data guard, the body limit)."""
        app = web.Application(client_max_size=MAX_BODY, middlewares=[api_guard, static_headers])
        app[DEPS] = self.deps
        add_routes(app)
        return app

    @property
    def local_url(self) -> str:
        """Where this process serves the gallery (tests and the bench open it directly)."""
        host = self.settings.webapp.host
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{self.port}"

    async def start(self) -> None:
        """Bind and serve (port 0: a free one, read back into `port`)."""
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.webapp.host, self.settings.webapp.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info("gallery served on %s:%s (public address %s)", self.settings.webapp.host,
                 self.port, self.settings.webapp.public_url)

    async def stop(self) -> None:
        """Stop serving and end poster work in flight."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.posters.close()
