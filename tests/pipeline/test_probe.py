"""ffprobe metadata and its errors, on real files."""

from __future__ import annotations

import pytest

from bot.pipeline.probe import (
    FFmpegMissingError,
    NoVideoStreamError,
    UnreadableMediaError,
    probe,
)


async def test_portrait_clip_metadata(portrait_clip):
    info = await probe(portrait_clip)
    assert (info.width, info.height) == (720, 1280)
    assert info.orientation == "portrait"
    assert info.duration_s == pytest.approx(2.0, abs=0.1)
    assert info.fps == pytest.approx(24.0, abs=0.01)
    assert info.video_codec == "h264"
    assert info.audio_codec == "aac" and info.has_audio
    assert info.size_bytes == portrait_clip.stat().st_size
    assert "mp4" in info.format_name


async def test_landscape_and_silent_clips(landscape_clip, small_clip):
    wide = await probe(landscape_clip)
    assert (wide.width, wide.height, wide.orientation) == (1280, 720, "landscape")
    silent = await probe(small_clip)
    assert silent.audio_codec is None and not silent.has_audio
    assert silent.duration_s == pytest.approx(1.0, abs=0.1)


async def test_audio_only_file_has_no_video(audio_only_file):
    with pytest.raises(NoVideoStreamError, match="no video stream"):
        await probe(audio_only_file)


async def test_corrupt_file_is_unreadable(corrupt_file):
    with pytest.raises(UnreadableMediaError, match="not a readable video"):
        await probe(corrupt_file)


async def test_missing_file_is_unreadable(tmp_path):
    with pytest.raises(UnreadableMediaError, match="no such file"):
        await probe(tmp_path / "nope.mp4")


async def test_missing_ffprobe_says_how_to_fix(portrait_clip, tmp_path):
    with pytest.raises(FFmpegMissingError, match="UPSCALE_FFPROBE_PATH"):
        await probe(portrait_clip, ffprobe=str(tmp_path / "ffprobe"))
