"""Request parameters as Telegram reads them: query string, JSON, urlencoded or multipart.

Form values arrive as strings (aiogram JSON-encodes objects and sends `attach://<name>` for
files); JSON bodies arrive typed. `Params` coerces both the same way. Multipart bodies are read
with a per-file byte cap (the documented limit is per file): past it the rest is drained and
`too_large` is set (→ 413 Request Entity Too Large).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from fake_telegram.errors import bad_request


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str
    data: bytes
    content_type: str | None = None


@dataclass
class Params:
    """Typed access to one call's parameters."""

    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)
    too_large: bool = False

    def has(self, name: str) -> bool:
        return name in self.values or name in self.files

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1")

    def get_json(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self) -> int | str:
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            return value
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None

    def file_ref(self, name: str, ref: Any = None) -> Upload | str | None:
        """A file parameter: an `Upload` (direct part or `attach://`), a file_id/URL, or None."""
        if name in self.files and ref is None:
            return self.files[name]
        value = self.values.get(name) if ref is None else ref
        if value is None or value == "":
            return None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = self.files.get(value[len("attach://"):])
            if upload is None:
                raise bad_request(f"there is no {name} in the request")
            return upload
        return str(value)

    def public(self) -> dict[str, Any]:
        """The parameters for `tg.calls`: values, with files as (filename, size)."""
        shown = dict(self.values)
        for key, upload in self.files.items():
            shown[key] = (upload.filename, len(upload.data))
        return shown


async def read_params(request: web.Request, upload_cap: int) -> Params:
    """Parse a Bot API request of any content type Telegram accepts."""
    params = Params(values=dict(request.query))
    ctype = request.content_type
    if request.method != "POST" or not request.can_read_body:
        return params
    if ctype == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON request body") from None
        if isinstance(body, dict):
            params.values.update(body)
        return params
    if ctype == "multipart/form-data":
        await _read_multipart(request, params, upload_cap)
        return params
    form = await request.post()
    params.values.update({key: value for key, value in form.items() if isinstance(value, str)})
    return params


async def _read_multipart(request: web.Request, params: Params, cap: int) -> None:
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        name = part.name or ""
        if part.filename is None:  # type: ignore[union-attr]
            params.values[name] = await part.text()  # type: ignore[union-attr]
            continue
        chunks: list[bytes] = []
        size = 0
        while chunk := await part.read_chunk(1 << 20):  # type: ignore[union-attr]
            size += len(chunk)
            if size > cap:
                params.too_large = True
            if not params.too_large:
                chunks.append(chunk)
        params.files[name] = Upload(part.filename, b"".join(chunks),  # type: ignore[union-attr]
                                    part.headers.get("Content-Type"))
