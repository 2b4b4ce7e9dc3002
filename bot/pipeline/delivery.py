"""The delivery rule: how one file reaches a Telegram user. One function decides.

* Within the Bot API's upload limit (50 MB cloud, 2,000 MB self-hosted): sent as a file. Finished
  4K clips and zips go as documents, because Telegram recompresses anything sent as a video;
  previews go as videos so they play inline.
* Larger, with R2 configured: a presigned link (the caller uploads and presigns).
* Larger, without R2: nothing can carry it; the user is told why and which choices work.

A self-hosted Bot API server (TELEGRAM_LOCAL_MODE) raises the limit itself, so "send as a file
through the local server" is the first rule with a bigger limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.config import StorageSettings, TelegramSettings

CLOUD_LIMIT = 50 * 1024 * 1024


@dataclass(frozen=True)
class Delivery:
    """What to do with a file: `document`, `video`, `link` or `too_big`, and why, in plain words."""

    kind: Literal["document", "video", "link", "too_big"]
    reason: str
    choices: tuple[str, ...] = ()


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:,.0f} KB"


def decide_delivery(
    size_bytes: int,
    *,
    telegram: TelegramSettings,
    storage: StorageSettings,
    preview: bool = False,
    is_zip: bool = False,
) -> Delivery:
    """Decide how a file of `size_bytes` reaches the user (see the module docstring)."""
    limit = telegram.upload_limit_bytes
    if size_bytes <= limit:
        via = " through the self-hosted Bot API server" if size_bytes > CLOUD_LIMIT else ""
        if preview:
            return Delivery("video", f"{_mb(size_bytes)} preview, sent as a playable video{via}")
        return Delivery(
            "document",
            f"{_mb(size_bytes)} is within the {_mb(limit)} upload limit: sent as a file{via} "
            "so Telegram keeps the original quality",
        )
    if storage.backend == "r2":
        hours = storage.link_expiry_s / 3600
        return Delivery(
            "link",
            f"{_mb(size_bytes)} is over the {_mb(limit)} a bot may send: sent as a download "
            f"link valid for {hours:g} hour{'s' if hours != 1 else ''}",
        )
    choices = []
    if is_zip:
        choices.append(f"download the zip in parts of at most {_mb(limit)} each")
    else:
        choices.append("upscale again with the 'fast' or 'balanced' preset (smaller files)")
        choices.append("download the 720p original instead")
    choices.append("ask the admin to set up Cloudflare R2 storage (STORAGE_BACKEND=r2) for links")
    if not telegram.local_mode:
        choices.append("ask the admin to run a self-hosted Bot API server "
                       "(TELEGRAM_LOCAL_MODE=true, files up to 2,000 MB)")
    return Delivery(
        "too_big",
        f"{_mb(size_bytes)} is over the {_mb(limit)} a bot may send, and no download links "
        "are configured",
        tuple(choices),
    )
