"""BlobStore against a real S3 HTTP server (moto, tests/fixtures/s3.py) and the local folder."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import urllib.request
from pathlib import Path

import pytest

from bot.config import (
    FlowSettings,
    PathSettings,
    Settings,
    StorageSettings,
    TelegramSettings,
    UpscaleSettings,
)
from bot.storage.blobstore import (
    BlobStoreError,
    LocalStore,
    R2Store,
    clip_key,
    make_blobstore,
    sha256_file,
)

MiB = 1024 * 1024


def _file(path: Path, size: int, seed: int = 1) -> Path:
    # Pseudo-random bytes (not zeros) so sizes and hashes mean something.
    block = os.urandom(64 * 1024) if seed < 0 else bytes((i * 31 + seed) % 256 for i in range(65536))
    with open(path, "wb") as f:
        left = size
        while left:
            f.write(block[: min(left, len(block))])
            left -= min(left, len(block))
    return path


@pytest.fixture
def r2(s3_server) -> R2Store:
    return R2Store(
        endpoint_url=s3_server.endpoint_url, bucket=s3_server.bucket,
        access_key_id=s3_server.access_key_id, secret_access_key=s3_server.secret_access_key,
        link_expiry_s=3600, multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB,
        max_attempts=2,
    )


async def test_put_head_get_round_trip(r2, tmp_path):
    src = _file(tmp_path / "clip.mp4", 300_000)
    digest = sha256_file(src)
    key = clip_key(7, 3, 2, digest)
    assert key == f"clips/7/3/v2-4k-{digest[:16]}.mp4"
    ref = await r2.put(key, src)
    assert (ref.key, ref.size, ref.sha256, ref.uploaded) == (key, 300_000, digest, True)
    head = await r2.head(key)
    assert head is not None and (head.size, head.sha256) == (300_000, digest)
    assert await r2.exists(key)
    back = await r2.get(key, tmp_path / "back" / "clip.mp4")
    assert back.read_bytes() == src.read_bytes()
    assert sorted(os.listdir(back.parent)) == ["clip.mp4"]


async def test_identical_upload_is_skipped_and_changed_one_is_not(r2, s3_server, tmp_path):
    src = _file(tmp_path / "a.mp4", 200_000, seed=3)
    key = "clips/idem/1/v1-4k-x.mp4"
    await r2.put(key, src)
    before = s3_server.client().head_object(Bucket=s3_server.bucket, Key=key)["LastModified"]
    await asyncio.sleep(1.1)  # S3 timestamps have 1 s resolution: a re-upload would show
    again = await r2.put(key, src)
    assert again.uploaded is False
    after = s3_server.client().head_object(Bucket=s3_server.bucket, Key=key)["LastModified"]
    assert after == before
    changed = _file(tmp_path / "b.mp4", 200_000, seed=4)  # same size, other bytes
    ref = await r2.put(key, changed)
    assert ref.uploaded is True and ref.sha256 == sha256_file(changed)
    assert (await r2.head(key)).sha256 == sha256_file(changed)


async def test_big_file_goes_up_in_parts(r2, s3_server, tmp_path):
    src = _file(tmp_path / "big.mp4", 12 * MiB, seed=5)
    key = "clips/big/1/v1-4k-big.mp4"
    await r2.put(key, src)
    etag = s3_server.client().head_object(Bucket=s3_server.bucket, Key=key)["ETag"]
    assert etag.strip('"').endswith("-3")  # a multipart ETag: three 5 MiB-or-less parts
    back = await r2.get(key, tmp_path / "big_back.mp4")
    assert sha256_file(back) == sha256_file(src)


class _FailingReader:
    """A real file that raises after `limit` bytes, as a disk or network failure mid-upload."""

    def __init__(self, path: Path, limit: int) -> None:
        self._f = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._limit = limit
        self._read = 0

    def read(self, n: int = -1) -> bytes:
        if self._read >= self._limit:
            raise OSError("simulated read failure in the middle of the upload")
        data = self._f.read(n if n >= 0 else self._limit)
        self._read += len(data)
        return data

    def seek(self, *args):
        return self._f.seek(*args)

    def tell(self):
        return self._f.tell()

    def close(self):
        self._f.close()


async def test_failure_mid_multipart_upload_leaves_nothing_and_retry_succeeds(r2, s3_server, tmp_path):
    src = _file(tmp_path / "big.mp4", 16 * MiB, seed=6)
    key = "clips/fail/1/v1-4k-fail.mp4"
    reader = _FailingReader(src, 7 * MiB)
    with pytest.raises(BlobStoreError, match="upload of clips/fail"):
        await r2.put_fileobj(key, reader, size=16 * MiB, sha256=sha256_file(src))
    reader.close()
    assert await r2.head(key) is None
    uploads = s3_server.client().list_multipart_uploads(Bucket=s3_server.bucket)
    assert [u for u in uploads.get("Uploads", []) if u["Key"] == key] == []  # aborted
    ref = await r2.put(key, src)
    assert ref.uploaded and (await r2.head(key)).size == 16 * MiB


async def test_presigned_link_downloads_the_object(r2, s3_server, tmp_path):
    src = _file(tmp_path / "p.mp4", 100_000, seed=7)
    key = "clips/p/1/v1-4k-p.mp4"
    await r2.put(key, src)
    url = await r2.presign(key, 600)
    assert url.startswith(s3_server.endpoint_url) and "X-Amz-Expires=600" in url
    assert s3_server.secret_access_key not in url
    body = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=10).read())
    assert body == src.read_bytes()
    assert "X-Amz-Expires=3600" in await r2.presign(key)  # the configured default expiry


async def test_delete_is_idempotent(r2, tmp_path):
    key = "clips/d/1/v1-4k-d.mp4"
    await r2.put(key, _file(tmp_path / "d.mp4", 1000))
    await r2.delete(key)
    assert not await r2.exists(key)
    await r2.delete(key)
    with pytest.raises(BlobStoreError, match="download of clips/d"):
        await r2.get(key, tmp_path / "gone.mp4")
    assert not (tmp_path / "gone.mp4").exists()


async def test_unreachable_server_is_a_clear_error_without_secrets(s3_server, tmp_path, caplog):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    store = R2Store(endpoint_url=f"http://127.0.0.1:{port}", bucket="b",
                    access_key_id=s3_server.access_key_id,
                    secret_access_key=s3_server.secret_access_key,
                    max_attempts=1, connect_timeout_s=2)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(BlobStoreError, match="object storage head of clips/x") as info:
        await store.put("clips/x/1/v1.mp4", _file(tmp_path / "x.mp4", 1000))
    assert s3_server.secret_access_key not in str(info.value)
    assert s3_server.secret_access_key not in caplog.text


async def test_keys_cannot_escape(r2, tmp_path):
    local = LocalStore(tmp_path / "blobs")
    for store in (r2, local):
        for bad in ("../etc/passwd", "/abs", "a//b", ""):
            with pytest.raises(BlobStoreError, match="invalid object key"):
                await store.head(bad)


async def test_local_store(tmp_path):
    store = LocalStore(tmp_path / "blobs")
    src = _file(tmp_path / "c.mp4", 50_000)
    key = clip_key(1, 2, 1, sha256_file(src))
    ref = await store.put(key, src)
    assert ref.uploaded and (tmp_path / "blobs" / key).read_bytes() == src.read_bytes()
    assert (await store.put(key, src)).uploaded is False
    assert (await store.head(key)).sha256 == sha256_file(src)
    assert await store.presign(key) is None  # no links from a local folder
    back = await store.get(key, tmp_path / "out" / "c.mp4")
    assert back.read_bytes() == src.read_bytes()
    await store.delete(key)
    assert not await store.exists(key) and await store.head(key) is None
    with pytest.raises(BlobStoreError, match="no object"):
        await store.get(key, tmp_path / "out" / "none.mp4")


def test_make_blobstore_follows_settings(tmp_path, s3_server):
    def settings(storage: StorageSettings) -> Settings:
        return Settings(TelegramSettings(_env_file=None), FlowSettings(_env_file=None),
                        UpscaleSettings(_env_file=None), storage,
                        PathSettings(_env_file=None, data_dir=tmp_path))

    local = make_blobstore(settings(StorageSettings(_env_file=None)))
    assert isinstance(local, LocalStore) and local.root == tmp_path / "blobs"
    r2 = make_blobstore(settings(StorageSettings(
        _env_file=None, backend="r2", r2_endpoint_url=s3_server.endpoint_url,
        r2_bucket=s3_server.bucket, r2_access_key_id=s3_server.access_key_id,
        r2_secret_access_key=s3_server.secret_access_key, link_expiry_s=900)))
    assert isinstance(r2, R2Store) and r2.link_expiry_s == 900
