"""Where the media files live: clips, 1080p upscales and GIFs, one FFmpeg job at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

from flowsim import render
from flowsim.model import Tile
from flowsim.v2026.catalog import video_size

SUFFIXES = {
    "720p": ".mp4", "1080p": "-1080p.mp4", "270p": ".gif", "4K": "-4k.mp4",
    "preview": "-preview.mp4",
}
UPSCALE_SIZES = {"1080p": (1920, 1080), "4K": (3840, 2160)}


class Studio:
    """Makes and keeps every media file of the simulator under `media_dir`."""

    def __init__(self, media_dir: Path):
        self.media_dir = media_dir
        # Two shared cores: x264 already uses both, so a second job would only slow the first.
        self._lock = asyncio.Semaphore(1)

    def path(self, tile_id: str, quality: str = "720p") -> Path:
        """The file of `tile_id` at `quality` (720p, 1080p or 270p)."""
        return self.media_dir / f"{tile_id}{SUFFIXES[quality]}"

    async def clip(self, tile: Tile, upload: Path | None, end: Path | None = None) -> Path:
        """Render the tile's clip (its duration and resolution) from its
        uploaded start frame (or a gradient); with an end frame, a pan from one to the other."""
        size = video_size(tile.resolution, tile.aspect)
        async with self._lock:
            frame = upload or render.placeholder_frame(
                self.media_dir / f"frame-{tile.tile_id}.png", tile.batch_id, size
            )
            return await render.render_clip(
                self.path(tile.tile_id), frame, tile.prompt, size, tile.output_index, tile.outputs,
                seconds=tile.clip_seconds, end_frame=end,
            )

    async def upscale(self, tile_id: str, size: str = "1080p") -> Path:
        """Make the 1080p (or 4K) file of a rendered clip."""
        async with self._lock:
            return await render.upscale(self.path(tile_id), self.path(tile_id, size),
                                        *UPSCALE_SIZES[size])

    async def preview(self, tile_id: str) -> Path:
        """The hover `<video>` source: a re-encode at about half the bitrate, made once."""
        return await self._derived(tile_id, "preview", render.preview)

    async def gif(self, tile_id: str) -> Path:
        """The 270p GIF, made on first request."""
        return await self._derived(tile_id, "270p", render.animated_gif)

    async def _derived(self, tile_id: str, kind: str, make) -> Path:
        """A file made from the clip by `make(src, out)` on first request, then kept."""
        out = self.path(tile_id, kind)
        if not out.exists():
            async with self._lock:
                await make(self.path(tile_id), out)
        return out

    def delete(self, tile_ids: Iterable[str], uploads: Iterable[Path]) -> None:
        """Remove the files of forgotten tiles and uploads."""
        paths = list(uploads)
        for tile_id in tile_ids:
            paths += [self.path(tile_id, q) for q in SUFFIXES]
            paths.append(self.media_dir / f"frame-{tile_id}.png")
        for path in paths:
            path.unlink(missing_ok=True)
