"""In-memory file storage: file_ids, file_paths and the PhotoSize ladder Telegram makes.

Every file (uploaded by the bot or sent by a test user) gets a `file_id` and a
`file_unique_id`; `getFile` assigns a `file_path` served under `/file/bot<token>/<path>`.
Photos are recompressed into JPEG sizes (90/320/800/1280/2560 px sides) like Telegram does.
"""

from __future__ import annotations

import io
import itertools
import mimetypes
import secrets
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, UnidentifiedImageError

from fake_telegram.errors import bad_request

_PREFIX = {"photo": "AgACAgIAAxkBAAI", "document": "BQACAgIAAxkBAAI", "video": "BAACAgIAAxkBAAI",
           "audio": "CQACAgIAAxkBAAI", "animation": "CgACAgIAAxkBAAI", "thumbnail": "AAMCAgADGQEAAg"}
_FOLDER = {"photo": "photos", "document": "documents", "video": "videos", "audio": "music",
           "animation": "animations", "thumbnail": "thumbnails"}
_SIDES = (90, 320, 800, 1280, 2560)
PHOTO_MAX_SIDES_SUM = 10_000
PHOTO_MAX_RATIO = 20


@dataclass
class StoredFile:
    """One stored file; `kind` is photo/document/video/audio/animation/thumbnail."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    file_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # width/height/duration/thumbnail

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class FileStore:
    """file_id → StoredFile, and file_path → StoredFile once `getFile` was called."""

    by_id: dict[str, StoredFile] = field(default_factory=dict)
    by_path: dict[str, StoredFile] = field(default_factory=dict)
    by_local: dict[str, StoredFile] = field(default_factory=dict)  # absolute paths (local mode)
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))

    def add(self, kind: str, data: bytes, file_name: str | None = None,
            mime_type: str | None = None, width: int = 0, height: int = 0) -> StoredFile:
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        stored = StoredFile(
            file_id=_PREFIX.get(kind, "BQACAgIAAxkBAAI") + secrets.token_urlsafe(36),
            file_unique_id="AgAD" + secrets.token_urlsafe(9),
            kind=kind, data=data, file_name=file_name, mime_type=mime_type,
            width=width, height=height,
        )
        self.by_id[stored.file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self.by_id.get(file_id)

    def assign_path(self, stored: StoredFile) -> str:
        if stored.file_path is None:
            ext = ".jpg" if stored.kind in ("photo", "thumbnail") else (
                "." + stored.file_name.rsplit(".", 1)[1]
                if stored.file_name and "." in stored.file_name else "")
            stored.file_path = f"{_FOLDER.get(stored.kind, 'documents')}/file_{next(self._seq)}{ext}"
            self.by_path[stored.file_path] = stored
        return stored.file_path

    def add_photo(self, data: bytes) -> list[dict[str, Any]]:
        """Store a photo as Telegram does: a ladder of recompressed JPEG PhotoSizes."""
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except (UnidentifiedImageError, OSError, ValueError):
            raise bad_request("IMAGE_PROCESS_FAILED") from None
        width, height = image.size
        if width + height > PHOTO_MAX_SIDES_SUM or max(width, height) > PHOTO_MAX_RATIO * min(
                width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        image = image.convert("RGB")
        longest = max(width, height)
        sides = [s for s in _SIDES if s < longest] + [min(longest, _SIDES[-1])]
        sizes = []
        for side in sides:
            scale = side / longest
            w, h = max(1, round(width * scale)), max(1, round(height * scale))
            buf = io.BytesIO()
            image.resize((w, h)).save(buf, "JPEG", quality=87)
            stored = self.add("photo", buf.getvalue(), mime_type="image/jpeg", width=w, height=h)
            sizes.append({"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                          "file_size": stored.size, "width": w, "height": h})
        return sizes


def describe(stored: StoredFile, **extra: Any) -> dict[str, Any]:
    """The Bot API object (Document, Video, ...) for a stored file."""
    obj: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                           "file_size": stored.size}
    if stored.file_name:
        obj["file_name"] = stored.file_name
    if stored.mime_type:
        obj["mime_type"] = stored.mime_type
    obj.update({k: v for k, v in {**stored.extra, **extra}.items() if v is not None})
    return obj
