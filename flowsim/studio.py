"""Where the media files live: clips, 1080p upscales and GIFs, one FFmpeg job at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

from flowsim import render
from flowsim.model import ASPECT_SIZES, Tile

SUFFIXES = {"720p": ".mp4", "1080p": "-1080p.mp4", "270p": ".gif"}


class Studio:
    """Makes and keeps every media file of the simulator under `media_dir`."""

    def __init__(self, media_dir: Path):
        self.media_dir = media_dir
        # Two shared cores: x264 already uses both, so a second job would only slow the first.
        self._lock = asyncio.Semaphore(1)

    def path(self, tile_id: str, quality: str = "720p") -> Path:
        """The file of `tile_id` at `quality` (720p, 1080p or 270p)."""
        return self.media_dir / f"{tile_id}{SUFFIXES[quality]}"

    async def clip(self, tile: Tile, upload: Path | None) -> Path:
        """Render the tile's 8 s clip from its uploaded start frame (or a gradient)."""
        size = ASPECT_SIZES[tile.aspect]
        async with self._lock:
            frame = upload or render.placeholder_frame(
                self.media_dir / f"frame-{tile.tile_id}.png", tile.batch_id, size
            )
            return await render.render_clip(
                self.path(tile.tile_id), frame, tile.prompt, size, tile.output_index, tile.outputs
            )

    async def upscale(self, tile_id: str) -> Path:
        """Make the 1080p file of a rendered clip."""
        async with self._lock:
            return await render.upscale_1080(self.path(tile_id), self.path(tile_id, "1080p"))

    async def gif(self, tile_id: str) -> Path:
        """The 270p GIF, made on first request."""
        out = self.path(tile_id, "270p")
        if not out.exists():
            async with self._lock:
                await render.animated_gif(self.path(tile_id), out)
        return out

    def delete(self, tile_ids: Iterable[str], uploads: Iterable[Path]) -> None:
        """Remove the files of forgotten tiles and uploads."""
        paths = list(uploads)
        for tile_id in tile_ids:
            paths += [self.path(tile_id, q) for q in SUFFIXES]
            paths.append(self.media_dir / f"frame-{tile_id}.png")
        for path in paths:
            path.unlink(missing_ok=True)
