"""Receiving images and prompts: checks, prompts files, and collecting albums.

Telegram delivers an album as separate updates sharing `media_group_id`, and a creator often
sends several albums in a row. `IntakeCollector` gathers everything one user sends within a
short quiet window (per chat) and hands it over in message order, once every download in it has
finished, so one drop of images becomes one batch card.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import threading
import unicodedata
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from bot.telegram import texts

log = logging.getLogger(__name__)

IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
IMAGE_MIMES = {"image/jpeg", "image/png", "image/webp", "image/jpg"}
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".webp"}
PROMPT_EXTS = {".txt", ".csv"}
PROMPT_MIMES = {"text/plain", "text/csv", "application/csv", "text/comma-separated-values"}
MAX_PIXELS = 50_000_000       # 50 MP: far above any camera image Flow can use
MIN_SIDE = 64
MAX_PROMPTS_FILE_BYTES = 512 * 1024
MAX_IMAGES_PER_BATCH = 50
MAX_PROMPTS_PER_FILE = 1000  # a CSV may name more files than one batch holds
# Full decodes hold a whole bitmap in memory (up to ~200 MB at 50 MP): at most two at a time.
_DECODES = threading.BoundedSemaphore(2)


class IntakeRejected(ValueError):
    """A file the bot cannot use; the message is the friendly reply (HTML)."""


@dataclass(frozen=True)
class IncomingImage:
    message_id: int
    media_group_id: str | None
    caption: str | None
    path: Path
    name: str
    width: int
    height: int


@dataclass(frozen=True)
class PromptsFile:
    message_id: int
    name: str
    prompts: list[str]
    by_name: dict[str, str]


Received = IncomingImage | PromptsFile | None


def classify_document(file_name: str | None, mime_type: str | None) -> str:
    """'image', 'prompts' or 'other', from the file name and MIME type Telegram reports."""
    ext = Path(file_name or "").suffix.lower()
    mime = (mime_type or "").lower()
    if mime in IMAGE_MIMES or ext in IMAGE_EXTS:
        return "image"
    if ext in PROMPT_EXTS or mime in PROMPT_MIMES:
        return "prompts"
    return "other"


def check_declared_size(name: str, size: int | None, limit: int | None) -> None:
    """Refuse before downloading what Telegram would refuse to serve (or what is empty)."""
    if size is not None and size == 0:
        raise IntakeRejected(texts.BAD_EMPTY.format(name=texts.esc(name)))
    if limit is not None and size is not None and size > limit:
        raise IntakeRejected(
            texts.BAD_TOO_BIG.format(
                name=texts.esc(name), mb=size / (1024 * 1024), limit=limit // (1024 * 1024)
            )
        )


def inspect_image(path: Path, name: str) -> tuple[str, int, int]:
    """Check a downloaded file with Pillow; return (format, width, height) or raise.

    Cheap checks first (format, pixel count from the header: the decompression-bomb bound),
    then a full decode, so only an image Flow can really read joins a batch.
    """
    if path.stat().st_size == 0:
        raise IntakeRejected(texts.BAD_EMPTY.format(name=texts.esc(name)))
    try:
        with Image.open(path) as img:
            fmt, (w, h) = img.format or "", img.size
            if fmt not in IMAGE_FORMATS:
                raise IntakeRejected(texts.BAD_FILE_TYPE.format(name=texts.esc(name)))
            if w * h > MAX_PIXELS:
                raise IntakeRejected(
                    texts.BAD_PIXELS.format(name=texts.esc(name), w=w, h=h, max_mp=MAX_PIXELS // 1_000_000)
                )
            if min(w, h) < MIN_SIDE:
                raise IntakeRejected(texts.BAD_TINY.format(name=texts.esc(name), w=w, h=h, min_side=MIN_SIDE))
            img.verify()
        _decode_fully(path)
    except IntakeRejected:
        raise
    except Image.DecompressionBombError:
        raise IntakeRejected(texts.BAD_BOMB.format(name=texts.esc(name), max_mp=MAX_PIXELS // 1_000_000)) from None
    except UnidentifiedImageError:
        raise IntakeRejected(texts.BAD_FILE_TYPE.format(name=texts.esc(name))) from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError):
        raise IntakeRejected(texts.BAD_CORRUPT.format(name=texts.esc(name))) from None
    return fmt, w, h


def _decode_fully(path: Path) -> None:
    """Decode every byte of the image data, so a truncated or damaged file is refused now.

    `verify()` only checks the header and (for PNG) chunk checksums: a JPEG cut in half passes
    it and fails a minute later in Flow, after a render slot was spent. A JPEG is decoded at
    1/8 scale (`draft`), which still reads all of its entropy-coded data but needs 64 times
    less memory; other formats are decoded at full size, at most two at a time.
    """
    with _DECODES, Image.open(path) as img:
        if img.format == "JPEG":
            img.draft("RGB", (max(1, img.width // 8), max(1, img.height // 8)))
        img.load()


def finalize_image(path: Path, fmt: str) -> Path:
    """Give the stored file the extension of its real format (Flow's uploader checks it)."""
    target = path.with_suffix("." + IMAGE_FORMATS[fmt])
    if target != path:
        path.rename(target)
    return target


def new_image_path(incoming_dir: Path, user_id: int) -> Path:
    """Where a download goes while it is checked (`<hex>.part`; the start-up sweep removes
    leftovers of a killed process, see `bot/storage/sweep.py`)."""
    folder = incoming_dir / str(user_id)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{uuid.uuid4().hex}.part"


def discard_images(paths: Iterable[str | Path]) -> None:
    """Delete downloaded images nobody holds any more (a batch keeps its own copies)."""
    for path in paths:
        try:
            Path(path).unlink(missing_ok=True)
        except OSError as err:  # a file we cannot delete must not break the reply
            log.warning("could not delete %s: %s", Path(path).name, type(err).__name__)


def check_prompt(text: str | None) -> str:
    """A clean prompt, or `IntakeRejected` saying what is wrong with it."""
    # Control characters (NUL from a CSV, lone surrogates) are never meant, and a lone
    # surrogate cannot even be stored: drop them before anything else.
    cleaned = "".join(ch for ch in (text or "") if unicodedata.category(ch) not in ("Cc", "Cs")
                      or ch.isspace())
    prompt = " ".join(cleaned.split())
    if not prompt:
        raise IntakeRejected(texts.PROMPT_EMPTY)
    if len(prompt) < texts.MIN_PROMPT_CHARS:
        raise IntakeRejected(texts.PROMPT_SHORT)
    if len(prompt) > texts.MAX_PROMPT_CHARS:
        raise IntakeRejected(texts.PROMPT_LONG.format(n=len(prompt)))
    return prompt


def parse_prompts_file(data: bytes, name: str) -> tuple[list[str], dict[str, str]]:
    """Read a .txt (one prompt per line) or .csv (`file,prompt` or `prompt` columns).

    Returns the prompts in order and, for a CSV with a file column, a file-name → prompt map.
    """
    if not data.strip():
        raise IntakeRejected(texts.PROMPTS_FILE_BAD.format(why=texts.WHY_EMPTY))
    if len(data) > MAX_PROMPTS_FILE_BYTES:
        raise IntakeRejected(texts.PROMPTS_FILE_BAD.format(why=texts.WHY_TOO_LARGE))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IntakeRejected(texts.PROMPTS_FILE_BAD.format(why=texts.WHY_NOT_UTF8)) from None
    prompts: list[str] = []
    by_name: dict[str, str] = {}
    if name.lower().endswith(".csv"):
        try:
            rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
        except csv.Error as err:
            # e.g. a field over the csv module's 128 KiB limit, or a NUL byte
            raise IntakeRejected(texts.PROMPTS_FILE_BAD.format(
                why=texts.WHY_BAD_CSV.format(error=texts.esc(err)))) from None
        header = [c.strip().lower() for c in rows[0]] if rows else []
        if "prompt" in header:
            p_col = header.index("prompt")
            f_col = next((header.index(c) for c in ("file", "filename", "image") if c in header), None)
            rows = rows[1:]
        else:
            p_col, f_col = (1, 0) if rows and len(rows[0]) >= 2 else (0, None)
        for n, row in enumerate(rows, 1):
            if p_col >= len(row):
                raise IntakeRejected(texts.PROMPTS_FILE_BAD.format(why=texts.WHY_ROW_NO_PROMPT.format(n=n)))
            prompt = _line_prompt(row[p_col], n)
            prompts.append(prompt)
            if f_col is not None and f_col < len(row) and row[f_col].strip():
                by_name[row[f_col].strip().lower()] = prompt
    else:
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                prompts.append(_line_prompt(line, n))
    if not prompts:
        raise IntakeRejected(texts.PROMPTS_FILE_BAD.format(why=texts.WHY_NO_PROMPTS))
    if len(prompts) > MAX_PROMPTS_PER_FILE:
        # Kept in the dialog and re-read at every message: bounded like everything stored.
        raise IntakeRejected(texts.PROMPTS_FILE_BAD.format(
            why=texts.WHY_TOO_MANY_PROMPTS.format(n=len(prompts), max=MAX_PROMPTS_PER_FILE)))
    return prompts, by_name


def _line_prompt(value: str, n: int) -> str:
    try:
        return check_prompt(value)
    except IntakeRejected as err:
        raise IntakeRejected(texts.PROMPTS_FILE_BAD.format(why=texts.WHY_LINE.format(n=n, error=err))) from None


# -- collecting ---------------------------------------------------------------------------------

@dataclass
class _Slot:
    message_id: int
    media_group_id: str | None
    caption: str | None
    done: asyncio.Future[Received]


@dataclass
class _Buffer:
    slots: list[_Slot] = field(default_factory=list)
    timer: asyncio.Task | None = None


FlushFn = Callable[[int, int, list[Received], dict[str, str]], Awaitable[None]]


ALBUMS_REMEMBERED = 200
DRAFTS_REMEMBERED = 1000


class RecentDrafts:
    """The draft batch each chat's last drop of albums made, for `join_s` seconds, until its
    owner presses one of the card's buttons (`forget`).

    A phone uploads the albums of one drop one after another; on a slow link (or a busy server)
    the next one can come later than the quiet window, and then joins this draft instead of
    making a second card (`join_s` is TELEGRAM_DRAFT_JOIN_S).

    In memory only: after a restart a late part makes its own card (nothing is lost)."""

    def __init__(self, join_s: float) -> None:
        self.join_s = join_s
        self._drafts: OrderedDict[tuple[int, int], tuple[int, float]] = OrderedDict()

    def made(self, user_id: int, chat_id: int, batch_id: int) -> None:
        """A drop of this chat made (or grew) draft `batch_id` just now."""
        key = (user_id, chat_id)
        self._drafts[key] = (batch_id, asyncio.get_running_loop().time())
        self._drafts.move_to_end(key)
        while len(self._drafts) > DRAFTS_REMEMBERED:
            self._drafts.popitem(last=False)

    def joinable(self, user_id: int, chat_id: int) -> int | None:
        """The draft a drop arriving now should join, if the previous one was that recent."""
        entry = self._drafts.get((user_id, chat_id))
        if entry is None or self.join_s <= 0 or asyncio.get_running_loop().time() - entry[1] > self.join_s:
            return None
        return entry[0]

    def forget(self, user_id: int, chat_id: int) -> None:
        """The chat's draft can no longer grow (started, cancelled, refused)."""
        self._drafts.pop((user_id, chat_id), None)


class IntakeCollector:
    """Gather a user's images until `window_s` passes with nothing new, then flush them.

    The flush function receives (user_id, chat_id, received items in message order, album
    captions by media_group_id). Flushes of one chat never run concurrently.
    """

    def __init__(self, flush: FlushFn, *, window_s: float = 1.0) -> None:
        self._flush = flush
        self.window_s = window_s
        self._buffers: dict[tuple[int, int], _Buffer] = {}
        # Album captions of recent flushes: Telegram may deliver an album's parts further apart
        # than the quiet window (a busy server), and a part that lands in the next flush still
        # belongs to its album's caption. Bounded: the newest ALBUMS_REMEMBERED albums.
        self._captions: OrderedDict[tuple[int, str], str] = OrderedDict()
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}
        self._tasks: set[asyncio.Task] = set()

    def reserve(
        self, user_id: int, chat_id: int, message_id: int, media_group_id: str | None, caption: str | None
    ) -> asyncio.Future[Received]:
        """Register an incoming message now (keeping its place); resolve the future when checked."""
        key = (user_id, chat_id)
        buf = self._buffers.setdefault(key, _Buffer())
        fut: asyncio.Future[Received] = asyncio.get_running_loop().create_future()
        buf.slots.append(_Slot(message_id, media_group_id, caption, fut))
        if buf.timer is not None:
            buf.timer.cancel()
        buf.timer = asyncio.create_task(self._later(key, buf))
        self._tasks.add(buf.timer)
        buf.timer.add_done_callback(self._tasks.discard)
        return fut

    async def _later(self, key: tuple[int, int], buf: _Buffer) -> None:
        await asyncio.sleep(self.window_s)
        # Past this point the flush must not be cancelled by a newer message: detach it.
        if self._buffers.get(key) is buf:
            del self._buffers[key]
        task = asyncio.create_task(self._run(key, buf))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, key: tuple[int, int], buf: _Buffer) -> None:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            slots = sorted(buf.slots, key=lambda s: s.message_id)
            results: list[Received] = []
            for slot in slots:
                try:
                    results.append(await slot.done)
                except Exception:  # noqa: BLE001 - a failed download was already answered
                    results.append(None)
            captions = {
                s.media_group_id: s.caption for s in slots if s.media_group_id and s.caption
            }
            chat = key[1]
            for group in {s.media_group_id for s in slots if s.media_group_id}:
                if group not in captions and (chat, group) in self._captions:
                    captions[group] = self._captions[(chat, group)]
            for group, caption in captions.items():
                self._captions[(chat, group)] = caption
                self._captions.move_to_end((chat, group))
            while len(self._captions) > ALBUMS_REMEMBERED:
                self._captions.popitem(last=False)
            try:
                await self._flush(key[0], key[1], results, captions)
            except Exception:
                log.exception("intake flush failed for chat %s", key[1])

    async def drain(self) -> None:
        """Wait for pending flushes (used on shutdown and by tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
