"""Zip export of chosen clips, streamed to disk, split into parts under a byte limit.

Video does not compress (deflate saves 0.0–0.2 %, SPEC §3), so members are STORED and copied in
1 MiB chunks: memory stays flat whatever the total size. Each part holds whole files plus a
`manifest.json` (prompts, settings, what is in this part and the others) and is written to a
hidden temporary name, renamed when complete. A failed or cancelled export removes every file it
made, including parts already finished.

A single clip too big for one part cannot be split into whole files: `EntryTooLargeError` names
it before anything is written, so the caller can route it another way (a link, see delivery.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import FlowbotError
from bot.pipeline.probe import disk_full_error, is_enospc

CHUNK = 1024 * 1024
MANIFEST_NAME = "manifest.json"
# Upper bounds of the zip structures around each member with force_zip64: local header (30) +
# zip64 local extra (20) + data descriptor (24) + central header (46) + zip64 central extra (28);
# the name is stored twice. The end records are 22 + 56 + 20. Bounds, so a part never overshoots.
ENTRY_OVERHEAD = 30 + 20 + 24 + 46 + 28
END_OVERHEAD = 22 + 56 + 20


class ZipExportError(FlowbotError):
    """A zip export could not be made."""


class EntryTooLargeError(ZipExportError):
    """One or more files are bigger than a whole part may be."""

    def __init__(self, entries: list[ZipEntry], part_limit: int) -> None:
        names = ", ".join(f"{e.member_name} ({e.path.stat().st_size / 1e6:.1f} MB)" for e in entries)
        super().__init__(
            f"{names} {'is' if len(entries) == 1 else 'are'} bigger than the "
            f"{part_limit / 1e6:.0f} MB a zip part may be; send {'it' if len(entries) == 1 else 'them'} "
            "as a link or through a self-hosted Bot API server instead"
        )
        self.entries = entries
        self.part_limit = part_limit


class _Cancelled(Exception):
    pass


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def sanitise(part: str) -> str:
    """A file-name-safe version of `part`: ASCII letters, digits, dot, dash, underscore."""
    clean = _UNSAFE.sub("_", part).strip("._")
    return clean[:80] or "x"


@dataclass(frozen=True)
class ZipEntry:
    """One clip in an export, with what the member name and manifest say about it."""

    path: Path
    batch: int | str
    item: int
    variant: int
    resolution: str  # "720p", "1080p", "4k"
    prompt: str | None = None

    @property
    def member_name(self) -> str:
        """E.g. `batch12/item03_v2_4k.mp4`."""
        suffix = sanitise(self.path.suffix.lstrip(".").lower()) if self.path.suffix else "mp4"
        stem = f"item{self.item:02d}_v{self.variant}_{sanitise(self.resolution.lower())}"
        return f"batch{sanitise(str(self.batch))}/{stem}.{suffix}"


def _entry_bound(name: str, size: int) -> int:
    return ENTRY_OVERHEAD + 2 * len(name.encode()) + size


def _manifest_bytes(manifest: dict[str, Any], part: list[ZipEntry], names: list[str],
                    index: int, total: int) -> bytes:
    body = {
        **manifest,
        "part": index,
        "parts": total,
        "files": [
            {"name": name, "size": e.path.stat().st_size, "batch": e.batch, "item": e.item,
             "variant": e.variant, "resolution": e.resolution, "prompt": e.prompt}
            for e, name in zip(part, names, strict=True)
        ],
    }
    return json.dumps(body, ensure_ascii=False, indent=2, default=str).encode()


def _unique_names(entries: list[ZipEntry]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for e in entries:
        name = e.member_name
        if name in seen:
            seen[name] += 1
            stem, dot, ext = name.rpartition(".")
            name = f"{stem}_{seen[name]}{dot}{ext}"
        else:
            seen[name] = 1
        names.append(name)
    return names


def plan_parts(
    entries: list[ZipEntry], part_limit: int | None, manifest: dict[str, Any] | None = None
) -> list[list[ZipEntry]]:
    """Group `entries`, in order, into parts whose zip size stays within `part_limit` bytes."""
    if not entries:
        raise ZipExportError("nothing to export: no clips chosen")
    if part_limit is None:
        return [list(entries)]
    manifest = manifest or {}
    names = dict(zip(map(id, entries), _unique_names(entries), strict=True))

    def size_of(part: list[ZipEntry]) -> int:
        # Five-digit part numbers: an upper bound for the manifest's real ones.
        meta = _manifest_bytes(manifest, part, [names[id(e)] for e in part], 99999, 99999)
        return (END_OVERHEAD + _entry_bound(MANIFEST_NAME, len(meta))
                + sum(_entry_bound(names[id(e)], e.path.stat().st_size) for e in part))

    too_big = [e for e in entries if size_of([e]) > part_limit]
    if too_big:
        raise EntryTooLargeError(too_big, part_limit)
    parts: list[list[ZipEntry]] = [[]]
    for entry in entries:
        if parts[-1] and size_of([*parts[-1], entry]) > part_limit:
            parts.append([])
        parts[-1].append(entry)
    return parts


def _zip_time(path: Path) -> tuple[int, int, int, int, int, int]:
    # Zip timestamps start in 1980.
    return max(time.localtime(path.stat().st_mtime)[:6], (1980, 1, 1, 0, 0, 0))


def _write_part(tmp: Path, part: list[ZipEntry], names: list[str], meta: bytes,
                cancel: threading.Event) -> None:
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        info = zipfile.ZipInfo(MANIFEST_NAME, date_time=time.localtime()[:6])
        zf.writestr(info, meta)
        for entry, name in zip(part, names, strict=True):
            info = zipfile.ZipInfo(name, date_time=_zip_time(entry.path))
            info.compress_type = zipfile.ZIP_STORED
            with open(entry.path, "rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                while chunk := src.read(CHUNK):
                    if cancel.is_set():
                        raise _Cancelled
                    dst.write(chunk)


def _export(entries: list[ZipEntry], dest_dir: Path, base_name: str, part_limit: int | None,
            manifest: dict[str, Any], cancel: threading.Event) -> list[Path]:
    parts = plan_parts(entries, part_limit, manifest)
    names = dict(zip(map(id, entries), _unique_names(entries), strict=True))
    dest_dir.mkdir(parents=True, exist_ok=True)
    base = sanitise(base_name)
    made: list[Path] = []
    tmp: Path | None = None
    try:
        for index, part in enumerate(parts, start=1):
            final = dest_dir / (f"{base}.zip" if len(parts) == 1
                                else f"{base}_part{index}of{len(parts)}.zip")
            part_names = [names[id(e)] for e in part]
            meta = _manifest_bytes(manifest, part, part_names, index, len(parts))
            tmp = dest_dir / f".{final.name}.{secrets.token_hex(4)}.part"
            _write_part(tmp, part, part_names, meta, cancel)
            if part_limit is not None and tmp.stat().st_size > part_limit:
                raise ZipExportError(f"internal error: {final.name} exceeds {part_limit} bytes")
            os.replace(tmp, final)
            made.append(final)
            tmp = None
        return made
    except BaseException as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        for path in made:
            path.unlink(missing_ok=True)
        if is_enospc(exc):
            raise disk_full_error(dest_dir / "x", exc) from exc
        raise


async def export_zip(
    entries: list[ZipEntry],
    dest_dir: Path,
    base_name: str,
    *,
    part_limit: int | None = None,
    manifest: dict[str, Any] | None = None,
) -> list[Path]:
    """Write `entries` into one zip, or several of at most `part_limit` bytes; returns the parts.

    Raises `EntryTooLargeError` (before writing) when a clip alone exceeds `part_limit`,
    `DiskFullError` on ENOSPC. On any failure or cancellation no part is left behind.
    """
    cancel = threading.Event()
    work = asyncio.ensure_future(asyncio.to_thread(
        _export, list(entries), Path(dest_dir), base_name, part_limit, dict(manifest or {}), cancel
    ))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        # The thread cannot be interrupted; tell it to stop and wait until it cleaned up. If it
        # finished just before noticing, remove what it made: a cancelled export leaves nothing.
        cancel.set()
        try:
            made = await work
        except BaseException:  # noqa: BLE001 - _Cancelled or an error: the thread cleaned up
            pass
        else:
            for path in made:
                path.unlink(missing_ok=True)
        raise
