"""Who may use the bot, their roles and their per-user defaults.

Access rules: admins (TELEGRAM_ADMIN_IDS) are always allowed; users listed in
TELEGRAM_ALLOWED_USER_IDS or allowed by an admin (the `users.allowed` column) are allowed;
everyone else is a stranger. Nothing about a stranger is written anywhere: only the
`counters` row `strangers_turned_away` is incremented.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from bot.config import ASPECTS, MODELS, PRESETS, Settings
from bot.pipeline import catalog
from bot.pipeline.retirement import Gone, gone
from bot.storage import repo
from bot.storage.db import Database

Role = Literal["admin", "user"]
STRANGER_COUNTER = "strangers_turned_away"
DURATION_WAIT_S = 600.0  # an "other…" duration waits this long for the user's number


def _duration_key(user_id: int) -> str:
    return f"card.duration_ask.{user_id}"


@dataclass(frozen=True)
class UserDefaults:
    """The settings a new batch of this user starts with."""

    aspect: str
    outputs: int
    model: str
    preset: str
    duration: int = 8
    resolution: str = "720p"
    plan: str = "pro"
    review_mode: str = "view"   # view: one review message per batch | albums: an album per image
    auto_upscale: bool = False  # every clip of a new batch is upscaled to 4K once collected
    # The saved model is no longer offered (retired): it is kept, not swapped, until the user taps
    # the switch (bot/pipeline/retirement.py); `gone` says since when and what to offer.
    gone: Gone | None = None


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str | None
    first_name: str | None
    role: Role
    allowed: bool
    from_settings: bool


class UserService:
    """Access checks, the allow list, and per-user defaults (default prompt, batch settings)."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._admins = frozenset(settings.telegram.admin_ids)
        self._env_allowed = frozenset(settings.telegram.allowed_user_ids)
        # Called with a `retirement.Gone` when a saved default names a gone model (the admins'
        # one notice per model; wired by the composition root).
        self.on_held: Callable[[Gone], Awaitable[None]] | None = None

    # -- access ------------------------------------------------------------------------------

    def is_admin(self, user_id: int) -> bool:
        return user_id in self._admins

    async def role_of(self, user_id: int) -> Role | None:
        """'admin', 'user', or None for a stranger."""
        if user_id in self._admins:
            return "admin"
        if user_id in self._env_allowed:
            return "user"
        row = await self.db.fetchone("SELECT allowed FROM users WHERE id = ?", (user_id,))
        return "user" if row is not None and row[0] else None

    async def seen(self, user_id: int, username: str | None, first_name: str | None) -> None:
        """Record (or refresh) an allowed user's name; never call this for strangers."""
        now = self.db.now()
        role = "admin" if user_id in self._admins else "user"
        await self.db.execute(
            "INSERT INTO users (id, username, first_name, role, allowed, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, 1, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "username = excluded.username, first_name = excluded.first_name, role = excluded.role, "
            "updated_at = excluded.updated_at "
            "WHERE coalesce(users.username, '') != coalesce(excluded.username, '') "
            "OR coalesce(users.first_name, '') != coalesce(excluded.first_name, '') "
            "OR users.role != excluded.role",
            (user_id, username, first_name, role, now, now),
        )

    async def count_stranger(self) -> None:
        """Count one turned-away update (the only trace a stranger leaves)."""
        await self.db.execute(
            "INSERT INTO counters (name, value) VALUES (?, 1) "
            "ON CONFLICT (name) DO UPDATE SET value = value + 1",
            (STRANGER_COUNTER,),
        )

    async def strangers_count(self) -> int:
        row = await self.db.fetchone("SELECT value FROM counters WHERE name = ?", (STRANGER_COUNTER,))
        return int(row[0]) if row else 0

    # -- allow list (admin) --------------------------------------------------------------------

    async def allow(self, user_id: int) -> bool:
        """Allow a user id; False when it was already allowed."""
        if user_id in self._admins or user_id in self._env_allowed:
            return False
        now = self.db.now()
        changed = await self.db.execute(
            "INSERT INTO users (id, allowed, created_at, updated_at) VALUES (?, 1, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET allowed = 1, updated_at = excluded.updated_at "
            "WHERE users.allowed = 0",
            (user_id, now, now),
        )
        return changed > 0

    async def remove(self, user_id: int) -> Literal["removed", "not_found", "from_settings"]:
        """Withdraw access given in the DB; ids from settings can only be removed there."""
        if user_id in self._admins or user_id in self._env_allowed:
            return "from_settings"
        changed = await self.db.execute(
            "UPDATE users SET allowed = 0, updated_at = ? WHERE id = ? AND allowed = 1",
            (self.db.now(), user_id),
        )
        return "removed" if changed else "not_found"

    async def list_allowed(self) -> list[UserRecord]:
        """Everyone who may use the bot: admins, ids from settings, and ids allowed in the DB."""
        rows = await self.db.fetchall("SELECT id, username, first_name, allowed FROM users")
        known = {row[0]: row for row in rows}
        ids = set(self._admins) | set(self._env_allowed) | {r[0] for r in rows if r[3]}
        out = []
        for uid in sorted(ids):
            row = known.get(uid)
            out.append(
                UserRecord(
                    id=uid,
                    username=row[1] if row else None,
                    first_name=row[2] if row else None,
                    role="admin" if uid in self._admins else "user",
                    allowed=True,
                    from_settings=uid in self._admins or uid in self._env_allowed,
                )
            )
        return out

    # -- per-user defaults ---------------------------------------------------------------------

    async def defaults(self, user_id: int) -> UserDefaults:
        """The user's saved batch settings, falling back to the FLOW_/UPSCALE_ settings."""
        saved = await self._settings_json(user_id)
        flow = self.settings.flow
        aspect = saved.get("aspect") if saved.get("aspect") in ASPECTS else flow.default_aspect
        model = saved.get("model") if saved.get("model") in MODELS else flow.default_model
        outputs = saved.get("outputs")
        if not isinstance(outputs, int) or not 1 <= outputs <= 4:
            outputs = flow.default_outputs
        preset = saved.get("preset") if saved.get("preset") in PRESETS else self.settings.upscale.preset
        plan = await repo.plan_read(self.db, flow.plan)
        now = self.db.now()
        held = gone(model, plan, now) if saved.get("model") == model else None
        if held is not None and self.on_held is not None:
            await self.on_held(held)
        if held is None and not catalog.is_offered(model, plan, now):
            # Never chosen by the user, or not on this plan (a plan change): today's default.
            model = flow.effective_default_model(plan, now)
        # A duration/resolution the model lacks (e.g. saved for Omni, now Veo) takes its default.
        duration, resolution = catalog.normalise(model, plan, saved.get("duration"),
                                                 saved.get("resolution"))
        review_mode = saved.get("review_mode")
        if review_mode not in ("view", "albums"):
            review_mode = getattr(self.settings.telegram, "review_mode", "view")
        return UserDefaults(aspect=aspect, outputs=outputs, model=model, preset=preset,
                            duration=duration, resolution=resolution, plan=plan,
                            review_mode=review_mode,
                            auto_upscale=saved.get("auto_upscale") is True, gone=held)

    async def set_default(self, user_id: int, name: str, value: Any) -> UserDefaults:
        """Change one default (aspect, outputs, model, preset, duration, resolution); invalid
        values raise ValueError."""
        valid = {
            "aspect": lambda v: v in ASPECTS,
            "model": lambda v: v in MODELS,
            "duration": lambda v: isinstance(v, int) and not isinstance(v, bool)
            and catalog.MIN_DURATION <= v <= catalog.MAX_DURATION,
            "resolution": lambda v: v in catalog.RESOLUTIONS,
            "outputs": lambda v: isinstance(v, int) and 1 <= v <= 4,
            "preset": lambda v: v in PRESETS,
            "review_mode": lambda v: v in ("view", "albums"),
            "auto_upscale": lambda v: isinstance(v, bool),
        }
        if name not in valid or not valid[name](value):
            raise ValueError(f"invalid {name}: {value!r}")
        saved = await self._settings_json(user_id)
        saved[name] = value
        await self._ensure_row(user_id)
        await self.db.execute(
            "UPDATE users SET settings_json = ?, updated_at = ? WHERE id = ?",
            (json.dumps(saved), self.db.now(), user_id),
        )
        return await self.defaults(user_id)

    async def language(self, user_id: int) -> str | None:
        """The language the user picked with /language (None: follow their Telegram language)."""
        value = (await self._settings_json(user_id)).get("language")
        return value if isinstance(value, str) else None

    async def set_language(self, user_id: int, language: str) -> None:
        """Store the user's /language choice in settings_json (the caller checks it is offered)."""
        saved = await self._settings_json(user_id)
        saved["language"] = language
        await self._ensure_row(user_id)
        await self.db.execute(
            "UPDATE users SET settings_json = ?, updated_at = ? WHERE id = ?",
            (json.dumps(saved), self.db.now(), user_id),
        )

    async def note_telegram_locale(self, user_id: int, locale: str) -> None:
        """Remember the locale of the user's Telegram app, for messages sent after a restart
        before their next update. Allowed users only: a stranger's update must create no row."""
        if await self.role_of(user_id) is None:
            return
        saved = await self._settings_json(user_id)
        if saved.get("telegram_locale") == locale:
            return
        saved["telegram_locale"] = locale
        await self._ensure_row(user_id)
        await self.db.execute(
            "UPDATE users SET settings_json = ?, updated_at = ? WHERE id = ?",
            (json.dumps(saved), self.db.now(), user_id),
        )

    # -- "other…" duration: the user's next number is a clip length ---------------------------

    async def await_duration(self, user_id: int, batch_id: int, chat_id: int,
                             message_id: int | None) -> None:
        """The user's next short text is a duration for `batch_id` (0: their defaults), whose
        card or /settings message is `message_id`."""
        now = self.db.now()
        await self.db.write_sync(lambda conn: repo.kv_set(conn, _duration_key(user_id), {
            "batch_id": batch_id, "chat_id": chat_id, "message_id": message_id}, now))

    async def pending_duration(self, user_id: int) -> dict[str, Any] | None:
        """The "other…" duration waiting for this user's number (None: none, or too old)."""
        row = await self.db.fetchone("SELECT value, updated_at FROM kv WHERE key = ?",
                                     (_duration_key(user_id),))
        if row is None or self.db.now() - row[1] > DURATION_WAIT_S:
            return None
        try:
            value = json.loads(row[0])
        except ValueError:
            return None
        if not isinstance(value, dict) or not isinstance(value.get("batch_id"), int):
            return None
        return value

    async def drop_duration(self, user_id: int) -> None:
        await self.db.execute("DELETE FROM kv WHERE key = ?", (_duration_key(user_id),))

    async def default_prompt(self, user_id: int) -> str | None:
        row = await self.db.fetchone("SELECT default_prompt FROM users WHERE id = ?", (user_id,))
        return row[0] if row and row[0] else None

    async def set_default_prompt(self, user_id: int, prompt: str | None) -> None:
        await self._ensure_row(user_id)
        await self.db.execute(
            "UPDATE users SET default_prompt = ?, updated_at = ? WHERE id = ?",
            (prompt, self.db.now(), user_id),
        )

    async def claim_photo_hint(self, user_id: int) -> bool:
        """True exactly once per user: the first time they send a compressed photo."""
        await self._ensure_row(user_id)
        changed = await self.db.execute(
            "UPDATE users SET hint_shown = 1, updated_at = ? WHERE id = ? AND hint_shown = 0",
            (self.db.now(), user_id),
        )
        return changed > 0

    async def _settings_json(self, user_id: int) -> dict[str, Any]:
        row = await self.db.fetchone("SELECT settings_json FROM users WHERE id = ?", (user_id,))
        try:
            data = json.loads(row[0]) if row else {}
        except ValueError:
            data = {}
        return data if isinstance(data, dict) else {}

    async def _ensure_row(self, user_id: int) -> None:
        now = self.db.now()
        role = "admin" if user_id in self._admins else "user"
        await self.db.execute(
            "INSERT INTO users (id, role, allowed, created_at, updated_at) VALUES (?, ?, 1, ?, ?) "
            "ON CONFLICT (id) DO NOTHING",
            (user_id, role, now, now),
        )
