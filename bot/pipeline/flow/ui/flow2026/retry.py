"""Flow's own Retry on a failed tile (same project and frame, billed again). Error tiles carry
no media id, so the page's retry request is vetted before it leaves."""

from __future__ import annotations

import logging
import time

from playwright.async_api import Page

from bot.errors import RetryableFlowError, UnknownPageStateError
from bot.pipeline.flow.api import FlowHandle
from bot.pipeline.flow.locate import click, find
from bot.pipeline.flow.ui import Submitted
from bot.pipeline.flow.ui.flow2026 import selectors as S
from bot.pipeline.flow.ui.flow2026 import wire as W
from bot.pipeline.flow.ui.flow2026.base import REG, Flow2026Base
from bot.pipeline.flow.ui.flow2026.submit import refusal
from bot.pipeline.flow.wire import request_payload, rpc_of

log = logging.getLogger(__name__)


class RetryMixin(Flow2026Base):
    """Flow's Retry on a failed tile."""

    async def retry(self, page: Page, handle: FlowHandle, tile_id: str) -> Submitted:
        """Click `Retry` on the failed tile `tile_id`. Error tiles carry no media id, so the
        page's own retry request is vetted before it leaves: one for another tile is aborted
        (nothing billed) and the next candidate is tried."""
        t = self.timeout
        seen = self.wire.records.get(tile_id)
        if seen is None or seen.record.state != "failed":
            raise RetryableFlowError("the tile is not shown as failed", code="retry_unavailable")
        title = self.wire.title_of(tile_id)
        await self._scroll_top(page)
        tiles = page.locator(S.TILE_CSS).filter(has=page.locator(S.ERROR_TILE_CSS))
        count = await tiles.count()
        order = [i for i in range(count)
                 if not title or (await tiles.nth(i).get_attribute("aria-label") or "") == title]
        vetoed: list[str] = []

        def retried(request) -> str | None:
            payload = request_payload(request)
            if rpc_of(request.url) != W.OPS or not isinstance(payload, dict):
                return None
            return str(payload.get("mediaId")) if payload.get("op") == "retry" else None

        async def gate(route, request) -> None:
            target = retried(request)
            if target is not None and target != tile_id:
                vetoed.append(target)
                await route.abort()
                return
            await route.continue_()

        await page.route(S.WIRE_GLOB, gate)
        try:
            for i in order:
                tile = tiles.nth(i)
                await tile.scroll_into_view_if_needed()
                button = await find(tile, "tile_retry", t, registry=REG)
                async with page.expect_request(lambda r: retried(r) is not None,
                                               timeout=t * 1000) as info:
                    await click(button, t, REG)
                request = await info.value
                if retried(request) != tile_id:
                    log.debug("Retry of another failed tile vetoed; trying the next one")
                    continue
                submitted_at = time.time()
                response = await request.response()
                if response is None:
                    raise UnknownPageStateError("Retry was clicked but no answer came",
                                                code="outcome_unknown")
                reading = (await self.wire.ingest(response)).reading
                if isinstance(reading, W.Refusal):
                    raise refusal(reading)
                ids = reading.media_ids if isinstance(reading, W.SubmitReply) else []
                if not ids:
                    raise UnknownPageStateError("the retry reply lists no media", code="outcome_unknown")
                record = seen.record
                proof = {"kind": handle.kind, "frame_media_ids": list(handle.frame_media_ids),
                         "model_key": record.model_key or handle.model_key,
                         "duration": record.duration_s or handle.duration, "count": len(ids)}
                return Submitted(ids, submitted_at, proof)
        finally:
            await page.unroute(S.WIRE_GLOB, gate)
        raise RetryableFlowError(f"no Retry on the page belongs to {tile_id} "
                                 f"({len(vetoed)} other tile(s) vetoed)", code="retry_unavailable")
