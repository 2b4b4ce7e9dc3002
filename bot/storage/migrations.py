"""Schema migrations, versioned with ``PRAGMA user_version``.

Append new migrations at the end of `MIGRATIONS`; never edit one that has shipped. Each runs in
its own ``BEGIN IMMEDIATE`` transaction together with the version bump, so a crash leaves the
file at the previous version. All times are REAL Unix epoch seconds bound from Python.
"""

from __future__ import annotations

import sqlite3

import aiosqlite

from bot.errors import StoreError

_V1 = """
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,          -- Telegram user id
    username      TEXT,
    first_name    TEXT,
    role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    allowed       INTEGER NOT NULL DEFAULT 0,
    default_prompt TEXT,
    settings_json TEXT NOT NULL DEFAULT '{}',   -- per-user defaults: aspect, outputs, model, preset
    hint_shown    INTEGER NOT NULL DEFAULT 0,
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL
);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE kv (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at REAL NOT NULL
);

CREATE TABLE dialogs (
    user_id    INTEGER NOT NULL,
    chat_id    INTEGER NOT NULL,
    state      TEXT NOT NULL,
    data_json  TEXT NOT NULL DEFAULT '{}',
    updated_at REAL NOT NULL,
    PRIMARY KEY (user_id, chat_id)
);

CREATE TABLE batches (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL,
    chat_id        INTEGER,
    source         TEXT NOT NULL DEFAULT 'telegram' CHECK (source IN ('telegram', 'cli')),
    status         TEXT NOT NULL DEFAULT 'draft'
                   CHECK (status IN ('draft', 'running', 'done', 'cancelled')),
    aspect         TEXT NOT NULL CHECK (aspect IN ('16:9', '9:16')),
    outputs        INTEGER NOT NULL CHECK (outputs BETWEEN 1 AND 4),
    model          TEXT NOT NULL,
    upscale_preset TEXT NOT NULL DEFAULT 'balanced',
    title          TEXT,
    card_message_id     INTEGER,
    progress_message_id INTEGER,
    created_at     REAL NOT NULL,
    started_at     REAL,
    finished_at    REAL
);
CREATE INDEX batches_user ON batches (user_id, created_at);

CREATE TABLE items (
    id           INTEGER PRIMARY KEY,
    batch_id     INTEGER NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    image_path   TEXT NOT NULL,
    image_sha256 TEXT,
    prompt       TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'queued', 'submitting', 'generating', 'collecting',
                                   'done', 'failed', 'cancelled', 'paused')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    progress     INTEGER NOT NULL DEFAULT 0,
    error_class  TEXT,
    error_code   TEXT,
    error_text   TEXT,
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL,
    UNIQUE (batch_id, position)
);
CREATE INDEX items_status ON items (status);

CREATE TABLE generations (
    id            INTEGER PRIMARY KEY,
    item_id       INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    attempt       INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'submitting'
                  CHECK (status IN ('submitting', 'submitted', 'done', 'failed', 'lost')),
    outputs       INTEGER NOT NULL,
    model         TEXT NOT NULL,
    aspect        TEXT NOT NULL,
    project_url   TEXT,
    tile_ids_json TEXT NOT NULL DEFAULT '[]',
    started_at    REAL NOT NULL,               -- before the Create click: the reconcile anchor
    submitted_at  REAL,                        -- when the handle was recorded
    finished_at   REAL,
    progress      INTEGER NOT NULL DEFAULT 0,
    error_class   TEXT,
    error_code    TEXT,
    error_text    TEXT,
    credits       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (item_id, attempt)
);
CREATE INDEX generations_status ON generations (status);

CREATE TABLE clips (
    id              INTEGER PRIMARY KEY,
    item_id         INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    generation_id   INTEGER NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    variant         INTEGER NOT NULL,          -- 1..outputs, stable order within the generation
    tile_id         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'ready', 'failed')),
    path_720        TEXT,
    sha256_720      TEXT,
    size_720        INTEGER,
    selected        INTEGER NOT NULL DEFAULT 0,
    status_4k       TEXT CHECK (status_4k IN ('queued', 'running', 'ready', 'failed')),
    preset_4k       TEXT,
    path_4k         TEXT,
    size_4k         INTEGER,
    tg_file_id_720  TEXT,
    tg_file_id_4k   TEXT,
    storage_key_720 TEXT,
    storage_key_4k  TEXT,
    error_text      TEXT,
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL,
    UNIQUE (generation_id, tile_id)
);
CREATE INDEX clips_item ON clips (item_id);

CREATE TABLE exports (
    id           INTEGER PRIMARY KEY,
    batch_id     INTEGER NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    resolution   TEXT NOT NULL CHECK (resolution IN ('720p', '4k')),
    status       TEXT NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'running', 'ready', 'delivered', 'failed')),
    clip_ids_json TEXT NOT NULL DEFAULT '[]',
    parts_json   TEXT NOT NULL DEFAULT '[]',    -- zip part paths
    storage_keys_json TEXT NOT NULL DEFAULT '[]',
    error_text   TEXT,
    created_at   REAL NOT NULL,
    finished_at  REAL
);

CREATE TABLE tasks (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL DEFAULT '{}',
    status           TEXT NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL DEFAULT 5,
    run_after        REAL NOT NULL,
    lease_owner      TEXT,
    lease_expires_at REAL,
    last_error       TEXT,
    idempotency_key  TEXT UNIQUE,
    created_at       REAL NOT NULL,
    updated_at       REAL NOT NULL,
    finished_at      REAL
);
CREATE INDEX tasks_ready ON tasks (status, run_after);
CREATE INDEX tasks_lease ON tasks (status, lease_expires_at);
CREATE INDEX tasks_finished ON tasks (finished_at) WHERE finished_at IS NOT NULL;
"""

# Issue 11: what the new Flow offers. A batch carries its model's duration and resolution and
# whether it pairs consecutive images as start and end frames; an item knows its kind (a
# text-to-video item has image_path '' since SQLite cannot drop NOT NULL in place) and its end
# frame; a generation records what it billed; a clip can hold Flow's own 1080p upscale.
_FLOW_2026_OPTIONS = """
ALTER TABLE batches ADD COLUMN duration INTEGER NOT NULL DEFAULT 8;
ALTER TABLE batches ADD COLUMN resolution TEXT NOT NULL DEFAULT '720p';
ALTER TABLE batches ADD COLUMN pairs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN flow_1080p INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN kind TEXT NOT NULL DEFAULT 'i2v'
    CHECK (kind IN ('t2v', 'i2v', 'interpolation'));
ALTER TABLE items ADD COLUMN end_image_path TEXT;
ALTER TABLE generations ADD COLUMN duration INTEGER NOT NULL DEFAULT 8;
ALTER TABLE generations ADD COLUMN resolution TEXT NOT NULL DEFAULT '720p';
ALTER TABLE generations ADD COLUMN kind TEXT NOT NULL DEFAULT 'i2v';
ALTER TABLE generations ADD COLUMN plan TEXT;
ALTER TABLE clips ADD COLUMN status_1080 TEXT
    CHECK (status_1080 IN ('queued', 'running', 'ready', 'fallback', 'failed'));
ALTER TABLE clips ADD COLUMN path_1080 TEXT;
ALTER TABLE clips ADD COLUMN size_1080 INTEGER;
ALTER TABLE clips ADD COLUMN storage_key_1080 TEXT;
"""

# The proof of what Flow billed for a generation, read from the page's own submit request by the
# 2026 driver (FlowHandle.billed(): kind, frame media ids, model key, duration, count, credits).
_FLOW_BILLING_PROOF = """
ALTER TABLE generations ADD COLUMN billed_json TEXT;
"""

# Issue 14: a bot a team can share. A credit budget per user per day or month (admins have
# none: they are unlimited), and the audit log of every admin action and every credit-spending
# action (who, what, when, batch, credits; never a secret: `detail` is bounded plain words).
_TEAM_BUDGETS_AND_AUDIT = """
CREATE TABLE budgets (
    user_id    INTEGER PRIMARY KEY,
    credits    INTEGER NOT NULL CHECK (credits >= 0),
    period     TEXT NOT NULL CHECK (period IN ('day', 'month')),
    set_by     INTEGER,
    updated_at REAL NOT NULL
);
CREATE TABLE audit (
    id       INTEGER PRIMARY KEY,
    at       REAL NOT NULL,
    actor_id INTEGER,
    action   TEXT NOT NULL,
    batch_id INTEGER,
    credits  INTEGER,
    detail   TEXT
);
CREATE INDEX audit_at ON audit (at);
"""

# Issue 13: one review message per batch. `review_views` is the view's state (which message,
# which clip it shows, what it last rendered, the contact sheet's message), so a restarted bot
# edits the same message again; an item made by "Again"/"New prompt" names the item whose frame
# it reuses (its clips are labelled with that image's number).
_REVIEW_VIEW = """
CREATE TABLE review_views (
    batch_id         INTEGER PRIMARY KEY REFERENCES batches (id) ON DELETE CASCADE,
    chat_id          INTEGER NOT NULL,
    message_id       INTEGER,
    clip_id          INTEGER,
    rendered         TEXT NOT NULL DEFAULT '',
    sheet_message_id INTEGER,
    sheet_key        TEXT NOT NULL DEFAULT '',
    updated_at       REAL NOT NULL
);
ALTER TABLE items ADD COLUMN source_item_id INTEGER;
"""

MIGRATIONS: list[str] = [_V1, _FLOW_2026_OPTIONS, _FLOW_BILLING_PROOF, _TEAM_BUDGETS_AND_AUDIT,
                          _REVIEW_VIEW]


def latest_version() -> int:
    """The schema version this build writes."""
    return len(MIGRATIONS)


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0])


async def apply_migrations(conn: aiosqlite.Connection) -> int:
    """Bring the file to `latest_version()`; refuse a file written by a newer flowbot."""
    current = await schema_version(conn)
    if current > latest_version():
        raise StoreError(
            f"The database schema is version {current}, newer than this flowbot knows "
            f"({latest_version()}): upgrade flowbot, or point PATHS_DATABASE at another file."
        )
    for version in range(current + 1, latest_version() + 1):
        await conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-check inside the write lock: another process may have migrated meanwhile.
            if await schema_version(conn) >= version:
                await conn.execute("ROLLBACK")
                continue
            for statement in _statements(MIGRATIONS[version - 1]):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version={version}")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
    return await schema_version(conn)


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (executescript would COMMIT on its own)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
