"""The project library of flow2026: uploaded images, the store delay before the picker lists
them as ready, the search lag, and the refusals decided by the image itself."""

from __future__ import annotations

import base64
import binascii
import io
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from PIL import Image, UnidentifiedImageError

# flowsim's trigger for the upload refusals (docs/flowsim-2026-contract.md): an image whose
# average colour is within TOLERANCE (every channel) of one of these is refused.
REFUSING_COLOURS = {"minor": (255, 0, 255), "face": (0, 255, 255)}
TOLERANCE = 12
MIME_SUFFIXES = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp", "GIF": ".gif"}
MIME_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
MAX_FILE_NAME = 255


class UploadRefused(Exception):
    """An upload Flow answers with a refusal (`reason` is the server text key)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Asset:
    """One uploaded image in a project's library."""

    media_id: str
    project_id: str
    file_name: str
    uploaded_at: float
    stored_at: float  # the picker lists it as READY from here on
    searchable_at: float  # the picker search finds it from here on
    suffix: str = ".png"
    # The wire's upload record (flowsim/v2026/records.py): the library entry's own id, the
    # stored image's type, size in pixels and bytes.
    asset_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    mime: str = "image/png"
    width: int = 0
    height: int = 0
    size_bytes: int = 0
    reply_lost: bool = False  # configure(upload_reply_lost_next): saved, its reply never came

    def state(self, now: float) -> str:
        """UPLOADING until stored, then READY."""
        return "READY" if now >= self.stored_at else "UPLOADING"


@dataclass
class Library:
    """Every upload of the account, plus the refused ones (for the control API)."""

    assets: dict[str, Asset] = field(default_factory=dict)
    refused: list[dict] = field(default_factory=list)

    def decode(self, payload_b64: object, max_bytes: int) -> tuple[bytes, str]:
        """The image bytes and file suffix of an upload; UploadRefused when it is not a
        sane image or too large (`describe` tells its type and size afterwards)."""
        if not isinstance(payload_b64, str) or not payload_b64:
            raise UploadRefused("not_an_image")
        # Cheap bound before decoding: base64 is 4/3 of the bytes.
        if len(payload_b64) > (max_bytes * 4) // 3 + 4:
            raise UploadRefused("too_large")
        try:
            data = base64.b64decode(payload_b64, validate=True)
        except (binascii.Error, ValueError):
            raise UploadRefused("not_an_image") from None
        if len(data) > max_bytes:
            raise UploadRefused("too_large")
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
                fmt = image.format or ""
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise UploadRefused("not_an_image") from None
        if fmt not in MIME_SUFFIXES:
            raise UploadRefused("not_an_image")
        refusal = refusal_for(data)
        if refusal:
            raise UploadRefused(refusal)
        return data, MIME_SUFFIXES[fmt]

    def add(self, project_id: str, file_name: str, data: bytes, suffix: str, now: float,
            store_seconds: float, search_lag: float) -> Asset:
        """Register an accepted upload (the caller writes the file)."""
        mime, (width, height) = describe(data)
        asset = Asset(str(uuid.uuid4()), project_id, file_name, now, now + store_seconds,
                      now + store_seconds + search_lag, suffix, mime=mime, width=width,
                      height=height, size_bytes=len(data))
        self.assets[asset.media_id] = asset
        return asset

    def search(self, project_id: str, query: str, now: float) -> list[Asset]:
        """The picker: newest first. Without a query it lists every upload (UPLOADING ones
        included, shown as `Uploading…`); a query matches file names only of uploads past
        their search lag (the server-side index is behind)."""
        query = query.strip().lower()
        found = []
        for asset in self.assets.values():
            if asset.project_id != project_id:
                continue
            if query and (query not in asset.file_name.lower() or now < asset.searchable_at):
                continue
            found.append(asset)
        return sorted(found, key=lambda a: a.uploaded_at, reverse=True)

    def to_json(self) -> dict:
        """JSON-able form for persistence."""
        return {"assets": [asdict(a) for a in self.assets.values()], "refused": self.refused}

    @classmethod
    def from_json(cls, data: dict) -> Library:
        """The library from `to_json` output."""
        assets = {a["media_id"]: Asset(**a) for a in data.get("assets", [])}
        return cls(assets, list(data.get("refused", [])))


def describe(data: bytes) -> tuple[str, tuple[int, int]]:
    """(MIME type, (width, height)) of a decoded, verified image."""
    with Image.open(io.BytesIO(data)) as image:
        return MIME_TYPES.get(image.format or "", "image/png"), image.size


def refusal_for(data: bytes) -> str | None:
    """`minor` or `face` when the image's average colour is near a refusing colour."""
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (64, 64))  # JPEG: decode small, it is only an average
        small = image.convert("RGB").resize((16, 16))
    pixels = list(small.getdata())
    average = [sum(p[i] for p in pixels) / len(pixels) for i in range(3)]
    for reason, colour in REFUSING_COLOURS.items():
        if all(abs(a - c) <= TOLERANCE for a, c in zip(average, colour, strict=True)):
            return reason
    return None


def asset_path(media_dir: Path, asset: Asset) -> Path:
    """Where an upload's bytes live."""
    return media_dir / f"upload-{asset.media_id}{asset.suffix}"
