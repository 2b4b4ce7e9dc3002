"""Where finished files live: a folder under the data dir, or Cloudflare R2 via its S3 API.

`BlobStore` is the one interface; `LocalStore` and `R2Store` implement it. Keys are
deterministic (`clip_key`), so a retried upload lands on the same object, and `put` skips the
upload when an object of the same size and sha256 is already there (the sha256 travels in the
object's metadata). R2 calls are blocking boto3 calls and always run in `asyncio.to_thread`.
Credentials are registered with `bot.logsafe` and never appear in errors or logs.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from bot.errors import FlowbotError
from bot.logsafe import redact, register_secret

if TYPE_CHECKING:
    from bot.config import Settings, StorageSettings

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
MiB = 1024 * 1024


class BlobStoreError(FlowbotError):
    """The object store refused or could not be reached; the message names the operation."""


@dataclass(frozen=True)
class BlobRef:
    """A stored object. `uploaded` is False when `put` found an identical object already there."""

    key: str
    size: int
    sha256: str | None
    uploaded: bool = True


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def clip_key(batch: int | str, item: int | str, variant: int, sha256: str, *,
             resolution: str = "4k", ext: str = "mp4") -> str:
    """`clips/{batch}/{item}/v{variant}-{resolution}-{sha256[:16]}.{ext}`: same file, same key."""
    return f"clips/{batch}/{item}/v{variant}-{resolution}-{sha256[:16]}.{ext}"


def export_key(batch: int | str, name: str, sha256: str) -> str:
    """`exports/{batch}/{sha256[:16]}-{name}` for zip parts."""
    return f"exports/{batch}/{sha256[:16]}-{name}"


class BlobStore(Protocol):
    async def put(self, key: str, path: Path) -> BlobRef: ...
    async def head(self, key: str) -> BlobRef | None: ...
    async def exists(self, key: str) -> bool: ...
    async def get(self, key: str, dest: Path) -> Path: ...
    async def presign(self, key: str, expiry_s: int | None = None) -> str | None: ...
    async def delete(self, key: str) -> None: ...


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise BlobStoreError(f"invalid object key {key!r}")
    return key


class LocalStore:
    """Objects as files under `root` (default: `<data dir>/blobs`). No links: `presign` is None."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    async def put(self, key: str, path: Path) -> BlobRef:
        return await asyncio.to_thread(self._put, key, Path(path))

    def _put(self, key: str, path: Path) -> BlobRef:
        target = self._path(key)
        size, digest = path.stat().st_size, sha256_file(path)
        if target.is_file() and target.stat().st_size == size and sha256_file(target) == digest:
            return BlobRef(key, size, digest, uploaded=False)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return BlobRef(key, size, digest)

    async def head(self, key: str) -> BlobRef | None:
        target = self._path(key)

        def _head() -> BlobRef | None:
            if not target.is_file():
                return None
            return BlobRef(key, target.stat().st_size, sha256_file(target), uploaded=False)

        return await asyncio.to_thread(_head)

    async def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    async def get(self, key: str, dest: Path) -> Path:
        source = self._path(key)
        if not source.is_file():
            raise BlobStoreError(f"no object {key}")
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part")
        try:
            await asyncio.to_thread(shutil.copyfile, source, tmp)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return dest

    async def presign(self, key: str, expiry_s: int | None = None) -> str | None:
        return None

    async def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class R2Store:
    """Cloudflare R2 (or any S3-compatible server) through boto3."""

    def __init__(
        self,
        *,
        endpoint_url: str,
        bucket: str,
        access_key_id: str,
        secret_access_key: str,
        region: str = "auto",
        link_expiry_s: int = 86400,
        multipart_threshold: int = 64 * MiB,
        multipart_chunksize: int = 16 * MiB,
        max_attempts: int = 5,
        connect_timeout_s: float = 10.0,
    ) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        register_secret(access_key_id)
        register_secret(secret_access_key)
        self.bucket = bucket
        self.link_expiry_s = link_expiry_s
        self._client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": max_attempts, "mode": "standard"},
                connect_timeout=connect_timeout_s,
                read_timeout=60,
            ),
        )
        # Big 4K files and zip parts go up in parts: a dropped connection retries one part,
        # not the whole file, and a failed upload is aborted by s3transfer (no orphan parts).
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=multipart_chunksize,
            max_concurrency=4,
        )

    @classmethod
    def from_settings(cls, storage: StorageSettings) -> R2Store:
        assert storage.r2_access_key_id and storage.r2_secret_access_key
        return cls(
            endpoint_url=str(storage.r2_endpoint_url),
            bucket=str(storage.r2_bucket),
            access_key_id=storage.r2_access_key_id.get_secret_value(),
            secret_access_key=storage.r2_secret_access_key.get_secret_value(),
            region=storage.r2_region,
            link_expiry_s=storage.link_expiry_s,
        )

    def _error(self, op: str, key: str, exc: Exception) -> BlobStoreError:
        from botocore.exceptions import ClientError

        if isinstance(exc, ClientError):
            err = exc.response.get("Error", {})
            detail = f"{err.get('Code', '?')}: {err.get('Message', '')}".strip()
        else:
            detail = f"{type(exc).__name__}: {exc}"
        return BlobStoreError(redact(f"object storage {op} of {key} failed ({detail})"))

    async def _call(self, op: str, key: str, fn, *args, **kwargs):
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except BlobStoreError:
            raise
        except Exception as exc:  # noqa: BLE001 - boto3 raises many types; all mean "failed"
            raise self._error(op, key, exc) from None

    def _head_sync(self, key: str) -> BlobRef | None:
        from botocore.exceptions import ClientError

        try:
            resp = self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return BlobRef(key, int(resp["ContentLength"]), resp.get("Metadata", {}).get("sha256"),
                       uploaded=False)

    async def head(self, key: str) -> BlobRef | None:
        return await self._call("head", _check_key(key), self._head_sync, key)

    async def exists(self, key: str) -> bool:
        return await self.head(key) is not None

    async def put(self, key: str, path: Path) -> BlobRef:
        path = Path(path)
        size = path.stat().st_size
        digest = await asyncio.to_thread(sha256_file, path)

        def _upload() -> None:
            with open(path, "rb") as f:
                self._upload_sync(key, f, digest)

        return await self._put(key, size, digest, _upload)

    async def put_fileobj(self, key: str, fileobj: IO[bytes], *, size: int, sha256: str) -> BlobRef:
        """Upload from an open binary file whose size and sha256 the caller already knows."""
        return await self._put(key, size, sha256, lambda: self._upload_sync(key, fileobj, sha256))

    async def _put(self, key: str, size: int, digest: str, upload) -> BlobRef:
        _check_key(key)
        existing = await self.head(key)
        if existing and existing.size == size and existing.sha256 == digest:
            log.info("object %s already stored (%d bytes), upload skipped", key, size)
            return existing
        await self._call("upload", key, upload)
        return BlobRef(key, size, digest)

    def _upload_sync(self, key: str, fileobj: IO[bytes], digest: str) -> None:
        self._client.upload_fileobj(
            fileobj, self.bucket, key,
            ExtraArgs={"Metadata": {"sha256": digest}, "ContentType": _content_type(key)},
            Config=self._transfer,
        )

    async def get(self, key: str, dest: Path) -> Path:
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part")
        try:
            await self._call("download", _check_key(key), self._client.download_file,
                             self.bucket, key, str(tmp), Config=self._transfer)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return dest

    async def presign(self, key: str, expiry_s: int | None = None) -> str | None:
        return await self._call(
            "presign", _check_key(key), self._client.generate_presigned_url, "get_object",
            Params={"Bucket": self.bucket, "Key": key},
            ExpiresIn=int(expiry_s or self.link_expiry_s),
        )

    async def delete(self, key: str) -> None:
        await self._call("delete", _check_key(key), self._client.delete_object,
                         Bucket=self.bucket, Key=key)


def _content_type(key: str) -> str:
    return {"mp4": "video/mp4", "zip": "application/zip", "json": "application/json"}.get(
        key.rsplit(".", 1)[-1].lower(), "application/octet-stream"
    )


def make_blobstore(settings: Settings) -> BlobStore:
    """The store the settings ask for: R2 when STORAGE_BACKEND=r2, else a local folder."""
    if settings.storage.backend == "r2":
        return R2Store.from_settings(settings.storage)
    return LocalStore(settings.blob_dir)
