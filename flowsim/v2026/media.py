"""Addresses of flow2026 media (standing in for flow-content.google): signed URLs, the
hover preview and the opaque `/asb/` thumbnails of tiles that were done before a reload."""

from __future__ import annotations

import hashlib
import hmac


def _mac(sim, purpose: str, media_id: str, length: int) -> str:
    key = hashlib.sha256(f"flowsim-media:{sim.session_token}".encode()).digest()
    return hmac.new(key, f"{purpose}:{media_id}".encode(), hashlib.sha256).hexdigest()[:length]


def signature(sim, media_id: str) -> str:
    """The `sig` of a signed media URL (no cookie needed, like a signed storage URL)."""
    return _mac(sim, "sig", media_id, 24)


def valid(sim, media_id: str, sig: str | None) -> bool:
    """True when `sig` signs `media_id`."""
    return sig is not None and hmac.compare_digest(sig, signature(sim, media_id))


def image_url(sim, media_id: str) -> str:
    """Thumbnail of a clip or an upload."""
    return f"/fx-content/image/{media_id}?sig={signature(sim, media_id)}"


def video_url(sim, media_id: str) -> str:
    """The original clip, byte-identical to the 720p download."""
    return f"/fx-content/video/{media_id}.mp4?sig={signature(sim, media_id)}"


def preview_url(media_id: str) -> str:
    """The hover `<video>` source: a half-bitrate re-encode."""
    return f"/fx-content/preview/{media_id}.mp4"


def download_url(media_id: str, size: str) -> str:
    """The download of a size of the menu (cookie required)."""
    return f"/fx-content/download/{media_id}?size={size}"


def asb_token(sim, media_id: str) -> str:
    """The opaque thumbnail token of a clip: derived, so no table to keep, and no id in it."""
    return _mac(sim, "asb", media_id, 40)


def asb_url(sim, media_id: str) -> str:
    """`/asb/<token>`: what a tile finished before the page loaded shows."""
    return f"/asb/{asb_token(sim, media_id)}"


def resolve_asb(sim, token: str) -> str | None:
    """The clip behind an `/asb/` token, or None."""
    for tile_id, tile in sim.tiles.items():
        if tile.state == "done" and hmac.compare_digest(asb_token(sim, tile_id), token):
            return tile_id
    return None
