"""Domain data access: batches, items, generations, clips, exports, account state, statistics.

Write helpers are plain functions of a `sqlite3.Connection` so they can run inside a queue
transaction (`TaskQueue.complete(..., effects=...)`) or on their own through
`Database.write_sync`. Reads are async and use the database's reader pool. Times are epoch
seconds passed in by the caller (from the injected clock), never computed by SQLite.

Item states: pending (draft) → queued → submitting → generating → collecting → done, or
failed / cancelled. Clip states: pending → ready | failed; 4K: queued → running → ready | failed.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from typing import Any

from bot.storage.db import Database

ITEM_STATES = ("pending", "queued", "submitting", "generating", "collecting", "done", "failed",
               "cancelled", "paused")
ITEM_TERMINAL = ("done", "failed", "cancelled")
GEN_IN_FLIGHT = ("submitting", "submitted")

# kv keys of the account state.
KV_PAUSE = "account.pause"          # JSON {kind, detail, since} while paused
KV_BACKOFF = "account.backoff"      # JSON {until, cap, cap_until} after "too quickly"
KV_PACE = "account.pace"            # JSON {next, factor, factor_until}: submit pacing
KV_PLAN = "account.plan"            # "free" | "pro" | "ultra" as the Flow page last showed it
PLANS = ("free", "pro", "ultra")


# -- key/value --------------------------------------------------------------------------------

def kv_get(conn: sqlite3.Connection, key: str) -> Any:
    row = conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row is not None else None


def kv_set(conn: sqlite3.Connection, key: str, value: Any, now: float) -> None:
    conn.execute(
        "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (key, json.dumps(value), now),
    )


def kv_delete(conn: sqlite3.Connection, key: str) -> None:
    conn.execute("DELETE FROM kv WHERE key = ?", (key,))


async def kv_read(db: Database, key: str) -> Any:
    row = await db.fetchone("SELECT value FROM kv WHERE key = ?", (key,))
    return json.loads(row[0]) if row is not None else None


def bump_counter(conn: sqlite3.Connection, name: str, by: int = 1) -> None:
    conn.execute(
        "INSERT INTO counters (name, value) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
        (name, by),
    )


def plan_of(conn: sqlite3.Connection, configured: str) -> str:
    """The account's plan: what the page last showed, else the configured FLOW_PLAN."""
    seen = kv_get(conn, KV_PLAN)
    return seen if seen in PLANS else configured


async def plan_read(db: Database, configured: str) -> str:
    seen = await kv_read(db, KV_PLAN)
    return seen if seen in PLANS else configured


def note_plan(conn: sqlite3.Connection, info: Any, now: float) -> str | None:
    """Remember the plan a session check saw on the page (`SessionInfo.extra["plan"]`): it wins
    over FLOW_PLAN for prices and offered durations. Returns the plan noted, if any. Every
    session check calls this (/session and the pipeline's own), so prices follow the account."""
    plan = str((getattr(info, "extra", None) or {}).get("plan") or "").lower()
    if plan not in PLANS:
        return None
    kv_set(conn, KV_PLAN, plan, now)
    return plan


# -- account pause / backoff ------------------------------------------------------------------

def set_pause(conn: sqlite3.Connection, kind: str, detail: str, now: float) -> bool:
    """Pause the account; returns True when it was not paused before (alert admins once)."""
    was = kv_get(conn, KV_PAUSE)
    if was is not None:
        return False
    kv_set(conn, KV_PAUSE, {"kind": kind, "detail": detail, "since": now}, now)
    return True


def clear_pause(conn: sqlite3.Connection) -> bool:
    """Resume; returns True when the account was paused."""
    was = kv_get(conn, KV_PAUSE) is not None
    kv_delete(conn, KV_PAUSE)
    return was


# -- batches and items ------------------------------------------------------------------------

def insert_batch(conn: sqlite3.Connection, *, user_id: int, chat_id: int | None, source: str,
                 aspect: str, outputs: int, model: str, preset: str, title: str | None,
                 now: float, duration: int = 8, resolution: str = "720p", pairs: bool = False,
                 flow_1080p: bool = False) -> int:
    row = conn.execute(
        "INSERT INTO batches (user_id, chat_id, source, status, aspect, outputs, model, "
        "upscale_preset, title, created_at, duration, resolution, pairs, flow_1080p) "
        "VALUES (?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (user_id, chat_id, source, aspect, outputs, model, preset, title, now, duration,
         resolution, int(pairs), int(flow_1080p)),
    ).fetchone()
    return int(row[0])


def insert_item(conn: sqlite3.Connection, *, batch_id: int, position: int, image_path: str,
                image_sha256: str | None, prompt: str, now: float, kind: str = "i2v",
                end_image_path: str | None = None) -> int:
    """One item; a text-to-video item has `image_path` '' (the column predates t2v)."""
    row = conn.execute(
        "INSERT INTO items (batch_id, position, image_path, image_sha256, prompt, status, "
        "created_at, updated_at, kind, end_image_path) "
        "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?) RETURNING id",
        (batch_id, position, image_path, image_sha256, prompt, now, now, kind, end_image_path),
    ).fetchone()
    return int(row[0])


def set_item(conn: sqlite3.Connection, item_id: int, now: float, **fields: Any) -> None:
    """Update an item's columns (status, progress, attempts, error_*)."""
    sets = ", ".join(f"{name} = ?" for name in fields)
    conn.execute(
        f"UPDATE items SET {sets}, updated_at = ? WHERE id = ?",
        (*fields.values(), now, item_id),
    )


def item_row(conn: sqlite3.Connection, item_id: int) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT i.*, b.user_id, b.chat_id, b.aspect, b.outputs, b.model, b.duration, "
        "b.resolution, b.status AS batch_status "
        "FROM items i JOIN batches b ON b.id = i.batch_id WHERE i.id = ?",
        (item_id,),
    ).fetchone()


def finish_batch_if_done(conn: sqlite3.Connection, batch_id: int, now: float) -> bool:
    """Mark a running batch done once every item is terminal; True when it just finished."""
    left = conn.execute(
        f"SELECT count(*) FROM items WHERE batch_id = ? AND status NOT IN "
        f"({', '.join('?' for _ in ITEM_TERMINAL)})",
        (batch_id, *ITEM_TERMINAL),
    ).fetchone()[0]
    if left:
        return False
    cur = conn.execute(
        "UPDATE batches SET status = 'done', finished_at = ? WHERE id = ? AND status = 'running'",
        (now, batch_id),
    )
    if cur.rowcount == 1:
        # The audit log's other half of a batch_start (issue 14): what Flow actually billed
        # since the batch last finished (a retry or "again" runs a finished batch once more).
        conn.execute(
            "INSERT INTO audit (at, actor_id, action, batch_id, credits) SELECT ?, b.user_id, "
            "'batch_billed', b.id, (SELECT coalesce(sum(g.credits), 0) FROM generations g "
            "JOIN items i ON i.id = g.item_id WHERE i.batch_id = b.id) - (SELECT "
            "coalesce(sum(a.credits), 0) FROM audit a WHERE a.batch_id = b.id AND a.action = "
            "'batch_billed') FROM batches b WHERE b.id = ?",
            (now, batch_id))
    return cur.rowcount == 1


# -- generations ------------------------------------------------------------------------------

def next_attempt(conn: sqlite3.Connection, item_id: int) -> int:
    row = conn.execute(
        "SELECT coalesce(max(attempt), 0) FROM generations WHERE item_id = ?", (item_id,)
    ).fetchone()
    return int(row[0]) + 1


def insert_generation(conn: sqlite3.Connection, *, item_id: int, attempt: int, outputs: int,
                      model: str, aspect: str, now: float, duration: int = 8,
                      resolution: str = "720p", kind: str = "i2v", plan: str | None = None) -> int:
    """The row written BEFORE the Create click: `started_at` anchors a later reconcile."""
    row = conn.execute(
        "INSERT INTO generations (item_id, attempt, status, outputs, model, aspect, started_at, "
        "duration, resolution, kind, plan) VALUES (?, ?, 'submitting', ?, ?, ?, ?, ?, ?, ?, ?) "
        "RETURNING id",
        (item_id, attempt, outputs, model, aspect, now, duration, resolution, kind, plan),
    ).fetchone()
    return int(row[0])


def record_handle(conn: sqlite3.Connection, gen_id: int, project_url: str,
                  tile_ids: Iterable[str], now: float, billed: dict | None = None) -> None:
    """Record a submitted generation's handle (and, on the 2026 UI, the proof of billing)."""
    conn.execute(
        "UPDATE generations SET status = 'submitted', project_url = ?, tile_ids_json = ?, "
        "submitted_at = ?, billed_json = ? WHERE id = ? AND status = 'submitting'",
        (project_url, json.dumps(list(tile_ids)), now, json.dumps(billed) if billed else None,
         gen_id),
    )


def end_generation(conn: sqlite3.Connection, gen_id: int, status: str, now: float, *,
                   error_class: str | None = None, error_code: str | None = None,
                   error_text: str | None = None, credits: int = 0) -> None:
    conn.execute(
        "UPDATE generations SET status = ?, finished_at = ?, error_class = ?, error_code = ?, "
        "error_text = ?, credits = ? WHERE id = ?",
        (status, now, error_class, error_code, error_text, credits, gen_id),
    )


def open_generation(conn: sqlite3.Connection, item_id: int) -> sqlite3.Row | None:
    """The item's generation still in flight (submitting or submitted), if any."""
    return conn.execute(
        "SELECT * FROM generations WHERE item_id = ? AND status IN ('submitting', 'submitted') "
        "ORDER BY attempt DESC LIMIT 1",
        (item_id,),
    ).fetchone()


def unsettled_submissions(conn: sqlite3.Connection, except_item: int) -> list[sqlite3.Row]:
    """Generations of other live items still 'submitting' (clicked or not, unknown), each with
    its item's `prompt`."""
    return conn.execute(
        "SELECT g.*, i.prompt AS prompt FROM generations g JOIN items i ON i.id = g.item_id "
        "WHERE g.status = 'submitting' AND g.item_id != ? "
        "AND i.status NOT IN ('done', 'failed', 'cancelled')",
        (except_item,),
    ).fetchall()


def failures_by_code(conn: sqlite3.Connection, item_id: int) -> Counter[str]:
    rows = conn.execute(
        "SELECT error_code, count(*) FROM generations WHERE item_id = ? AND status = 'failed' "
        "GROUP BY error_code",
        (item_id,),
    ).fetchall()
    return Counter({row[0]: row[1] for row in rows})


def in_flight_outputs(conn: sqlite3.Connection) -> int:
    """Render slots in use: outputs of every generation submitted (or being submitted)."""
    row = conn.execute(
        "SELECT coalesce(sum(outputs), 0) FROM generations WHERE status IN "
        "('submitting', 'submitted')"
    ).fetchone()
    return int(row[0])


async def in_flight_outputs_async(db: Database) -> int:
    row = await db.fetchone(
        "SELECT coalesce(sum(outputs), 0) FROM generations WHERE status IN "
        "('submitting', 'submitted')"
    )
    return int(row[0])


# -- clips ------------------------------------------------------------------------------------

def insert_clip(conn: sqlite3.Connection, *, item_id: int, gen_id: int, variant: int,
                tile_id: str, now: float) -> None:
    conn.execute(
        "INSERT INTO clips (item_id, generation_id, variant, tile_id, status, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?) "
        "ON CONFLICT (generation_id, tile_id) DO NOTHING",
        (item_id, gen_id, variant, tile_id, now, now),
    )


def set_clip(conn: sqlite3.Connection, clip_id: int, now: float, **fields: Any) -> None:
    sets = ", ".join(f"{name} = ?" for name in fields)
    conn.execute(f"UPDATE clips SET {sets}, updated_at = ? WHERE id = ?",
                 (*fields.values(), now, clip_id))


def clip_row(conn: sqlite3.Connection, clip_id: int) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT c.*, i.batch_id, i.position, b.user_id, b.chat_id FROM clips c "
        "JOIN items i ON i.id = c.item_id JOIN batches b ON b.id = i.batch_id WHERE c.id = ?",
        (clip_id,),
    ).fetchone()


# -- statistics -------------------------------------------------------------------------------

async def stats(db: Database, since: float | None = None) -> dict[str, Any]:
    """Generations, credits spent and failures by class, since `since` (or all time)."""
    where, params = ("WHERE started_at >= ?", (since,)) if since is not None else ("", ())
    row = await db.fetchone(
        f"SELECT count(*), coalesce(sum(credits), 0), "
        f"coalesce(sum(status = 'done'), 0), coalesce(sum(status = 'failed'), 0) "
        f"FROM generations {where}",
        params,
    )
    rows = await db.fetchall(
        f"SELECT coalesce(error_class, '?'), error_code, count(*) FROM generations {where} "
        f"{'AND' if where else 'WHERE'} status = 'failed' GROUP BY 1, 2",
        params,
    )
    # What was billed per model, duration and resolution (credits priced by the catalog).
    billed = await db.fetchall(
        f"SELECT model, duration, resolution, count(*), coalesce(sum(credits), 0) FROM generations "
        f"{where} {'AND' if where else 'WHERE'} status = 'done' GROUP BY 1, 2, 3 ORDER BY 5 DESC",
        params,
    )
    by_class: dict[str, int] = {}
    by_code: dict[str, int] = {}
    for cls, code, n in rows:
        by_class[cls] = by_class.get(cls, 0) + n
        by_code[code or "?"] = by_code.get(code or "?", 0) + n
    return {
        "generations": row[0],
        "credits_spent": row[1],
        "done": row[2],
        "failed": row[3],
        "failures_by_class": by_class,
        "failures_by_code": by_code,
        "by_model": [{"model": r[0], "duration": r[1], "resolution": r[2], "generations": r[3],
                      "credits": r[4]} for r in billed],
    }
