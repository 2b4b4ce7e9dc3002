"""Streamed zip export on real clips: members byte-identical, parts under the limit, no leftovers."""

from __future__ import annotations

import asyncio
import json
import os
import zipfile

import pytest

from bot.pipeline.probe import DiskFullError
from bot.pipeline.zipexport import (
    MANIFEST_NAME,
    EntryTooLargeError,
    ZipEntry,
    ZipExportError,
    export_zip,
    plan_parts,
)


@pytest.fixture(scope="module")
def clips(portrait_clip, landscape_clip, odd_clip, small_clip):
    return [portrait_clip, landscape_clip, odd_clip, small_clip]


def _entries(clips, batch=12):
    return [
        ZipEntry(path, batch=batch, item=i // 2 + 1, variant=i % 2 + 1,
                 resolution="720p" if i % 3 else "4k", prompt=f"prompt {i} — café ☕")
        for i, path in enumerate(clips)
    ]


async def test_one_zip_holds_every_clip_byte_for_byte(clips, tmp_path):
    entries = _entries(clips)
    manifest = {"batch": 12, "settings": {"model": "Veo 3.1 - Fast", "aspect": "9:16"}}
    parts = await export_zip(entries, tmp_path, "batch12 clips", manifest=manifest)
    assert parts == [tmp_path / "batch12_clips.zip"]
    assert os.listdir(tmp_path) == ["batch12_clips.zip"]
    with zipfile.ZipFile(parts[0]) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert names[0] == MANIFEST_NAME
        assert names[1:] == ["batch12/item01_v1_4k.mp4", "batch12/item01_v2_720p.mp4",
                             "batch12/item02_v1_720p.mp4", "batch12/item02_v2_4k.mp4"]
        for entry, name in zip(entries, names[1:], strict=True):
            assert zf.read(name) == entry.path.read_bytes()
            assert zf.getinfo(name).compress_type == zipfile.ZIP_STORED
        meta = json.loads(zf.read(MANIFEST_NAME))
    assert meta["settings"]["model"] == "Veo 3.1 - Fast"
    assert (meta["part"], meta["parts"]) == (1, 1)
    assert [f["prompt"] for f in meta["files"]] == [e.prompt for e in entries]


async def test_split_keeps_whole_files_and_respects_the_limit(clips, tmp_path):
    entries = _entries(clips * 2)  # 8 clips
    limit = max(p.stat().st_size for p in clips) * 2 + 20_000
    parts = await export_zip(entries, tmp_path, "b12", part_limit=limit, manifest={"batch": 12})
    assert len(parts) >= 3
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in parts)
    seen: list[bytes] = []
    for index, part in enumerate(parts, start=1):
        assert part.name == f"b12_part{index}of{len(parts)}.zip"
        assert part.stat().st_size <= limit
        with zipfile.ZipFile(part) as zf:
            assert zf.testzip() is None
            meta = json.loads(zf.read(MANIFEST_NAME))
            assert (meta["part"], meta["parts"]) == (index, len(parts))
            members = [n for n in zf.namelist() if n != MANIFEST_NAME]
            assert [f["name"] for f in meta["files"]] == members
            seen += [zf.read(n) for n in members]
    assert seen == [e.path.read_bytes() for e in entries]
    # Duplicate (item, variant) pairs got distinct names instead of overwriting each other.
    assert plan_parts(entries, limit) == plan_parts(entries, limit)


async def test_parts_are_filled_close_to_the_limit(clips, tmp_path):
    small = [c for c in clips if c.stat().st_size < 2_000_000]
    entries = _entries(small * 3)
    one = entries[0].path.stat().st_size
    limit = one * 3 + 10_000  # room for three of the first file, not four
    parts = plan_parts(entries, limit)
    assert all(sum(e.path.stat().st_size for e in part) <= limit for part in parts)
    assert len(parts) < len(entries)


async def test_a_clip_bigger_than_a_part_is_named_and_nothing_is_written(clips, tmp_path):
    entries = _entries(clips)
    limit = min(p.stat().st_size for p in clips) + 5_000
    with pytest.raises(EntryTooLargeError, match="bigger than the") as info:
        await export_zip(entries, tmp_path, "b", part_limit=limit)
    assert info.value.entries and all(e.path.stat().st_size > limit - 5_000 for e in info.value.entries)
    assert os.listdir(tmp_path) == []


async def test_names_are_sanitised(small_clip, tmp_path):
    entry = ZipEntry(small_clip, batch="../../etc/ñ x", item=3, variant=2, resolution="4K !")
    assert entry.member_name == "batchetc_x/item03_v2_4k.mp4"
    parts = await export_zip([entry], tmp_path, "../evil name")
    assert parts == [tmp_path / "evil_name.zip"]
    with zipfile.ZipFile(parts[0]) as zf:
        assert all(n.isascii() and not n.startswith("/") and n.count("/") <= 1
                   for n in zf.namelist())


async def test_nothing_to_export(tmp_path):
    with pytest.raises(ZipExportError, match="nothing to export"):
        await export_zip([], tmp_path, "b")


async def test_cancelled_export_leaves_nothing(small_clip, tmp_path):
    big = tmp_path / "src" / "big.mp4"
    big.parent.mkdir()
    with open(big, "wb") as f:  # a 300 MB file, sparse so the test stays cheap on disk
        f.truncate(300 * 1024 * 1024)
    entries = [ZipEntry(small_clip, 1, 1, 1, "720p"), ZipEntry(big, 1, 2, 1, "4k"),
               ZipEntry(big, 1, 3, 1, "4k")]
    out = tmp_path / "out"
    task = asyncio.create_task(export_zip(entries, out, "b", part_limit=400 * 1024 * 1024))
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not out.exists() or os.listdir(out) == []


async def test_full_disk_is_a_clear_error_and_leaves_nothing(clips, tiny_disk):
    disk = tiny_disk("1m")
    with pytest.raises(DiskFullError, match="no space left"):
        await export_zip(_entries(clips), disk, "b", part_limit=None)
    assert os.listdir(disk) == []
