"""Where the media files live: clips, 1080p upscales and GIFs, one FFmpeg job at a time."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
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
# A folder of finished media shared by every simulator that names it (the test suite sets it
# for its session): see `RenderCache`.
CACHE_ENV = "FLOWSIM_RENDER_CACHE"
# How media are made is part of every key: a change to render.py never meets an old file.
_RECIPE = hashlib.sha256(Path(render.__file__).read_bytes()).hexdigest()


class RenderCache:
    """Finished media kept by what they were made from, so that the same clip is encoded once.

    FFmpeg makes the same bytes from the same inputs and arguments (x264 `zerolatency` has no
    frame threads, AAC and the MP4 muxer add no dates), so a hit hands out exactly the file a
    render would have written: nothing a client sees changes, only the CPU it took. The suite
    renders the same frame, prompt and size in many tests; one encode now serves them all.
    """

    def __init__(self, root: Path):
        self.root = root
        self.hits = self.misses = 0

    @staticmethod
    def key(*parts: bytes | str | int | None) -> str:
        """A digest of the recipe and `parts` (file contents are passed as bytes)."""
        digest = hashlib.sha256(_RECIPE.encode())
        for part in parts:
            data = part if isinstance(part, bytes) else repr(part).encode()
            digest.update(len(data).to_bytes(8, "big") + data)
        return digest.hexdigest()

    def fetch(self, key: str, out: Path) -> bool:
        """Copy the kept file for `key` to `out` (atomically); False when there is none."""
        kept = self.root / key
        if not kept.exists():
            self.misses += 1
            return False
        tmp = out.with_name(out.name + ".cache-part")
        shutil.copyfile(kept, tmp)
        tmp.replace(out)
        self.hits += 1
        return True

    def keep(self, key: str, made: Path) -> None:
        """Keep a copy of the freshly made `made` under `key` (two makers may race: the
        files are identical, and the rename is atomic)."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f"{key}.{os.getpid()}.part"
        shutil.copyfile(made, tmp)
        tmp.replace(self.root / key)


def _bytes(path: Path | None) -> bytes | None:
    return path.read_bytes() if path is not None else None


class Studio:
    """Makes and keeps every media file of the simulator under `media_dir`."""

    def __init__(self, media_dir: Path, cache_dir: Path | None = None):
        self.media_dir = media_dir
        # Two shared cores: x264 already uses both, so a second job would only slow the first.
        self._lock = asyncio.Semaphore(1)
        cache_dir = cache_dir or (Path(os.environ[CACHE_ENV]) if os.environ.get(CACHE_ENV)
                                  else None)
        self.cache = RenderCache(cache_dir) if cache_dir else None

    async def _make(self, out: Path, key: str | None, make) -> Path:
        """`out`, from the cache under `key` when it holds it, else from `make()` (then kept)."""
        if self.cache is not None and key is not None and self.cache.fetch(key, out):
            return out
        made = await make()
        if self.cache is not None and key is not None:
            self.cache.keep(key, made)
        return made

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
            out = self.path(tile.tile_id)
            key = self.cache and self.cache.key(
                "clip", _bytes(frame), _bytes(end), tile.prompt, size, tile.output_index,
                tile.outputs, tile.clip_seconds)
            return await self._make(out, key, lambda: render.render_clip(
                out, frame, tile.prompt, size, tile.output_index, tile.outputs,
                seconds=tile.clip_seconds, end_frame=end,
            ))

    async def upscale(self, tile_id: str, size: str = "1080p") -> Path:
        """Make the 1080p (or 4K) file of a rendered clip."""
        async with self._lock:
            src, out = self.path(tile_id), self.path(tile_id, size)
            key = self.cache and self.cache.key("upscale", size, _bytes(src))
            return await self._make(out, key, lambda: render.upscale(
                src, out, *UPSCALE_SIZES[size]))

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
                src = self.path(tile_id)
                key = self.cache and self.cache.key(kind, _bytes(src))
                await self._make(out, key, lambda: make(src, out))
        return out

    def delete(self, tile_ids: Iterable[str], uploads: Iterable[Path]) -> None:
        """Remove the files of forgotten tiles and uploads."""
        paths = list(uploads)
        for tile_id in tile_ids:
            paths += [self.path(tile_id, q) for q in SUFFIXES]
            paths.append(self.media_dir / f"frame-{tile_id}.png")
        for path in paths:
            path.unlink(missing_ok=True)
