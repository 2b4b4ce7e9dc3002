"""Render-slot accounting and the account-wide backoff.

Flow runs about `FLOW_RENDER_SLOTS` renders at once per account; a prompt with N outputs takes
N. The slots in use are derived from the database (outputs of every generation that is being
submitted or is in flight), so the count survives a restart and cannot drift. After "too
quickly" the whole account backs off for `FLOW_RATE_LIMIT_BACKOFF_S` and then runs with a lower
cap for a while, stored in kv so that a restart keeps pacing.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass

from bot.config import FlowSettings
from bot.storage import repo
from bot.storage.db import Database

# After a backoff, the lowered cap holds for this many backoff periods.
LOWERED_CAP_PERIODS = 3
# After a firewall 403 the submit gap is this many times wider, for this long.
FIREWALL_GAP_FACTOR = 3.0
FIREWALL_GAP_HOLD_S = 3600.0


@dataclass(frozen=True)
class SlotState:
    """Slots at one moment: the cap that applies now, slots in use, any backoff, and how many
    outputs may wait in Flow's own queue beyond the cap (`queue`)."""

    cap: int
    in_flight: int
    backoff_until: float = 0.0
    queue: int = 0
    next_submit_at: float = 0.0  # pacing: no submit before this

    @property
    def free(self) -> int:
        """Render slots not in use."""
        return max(0, self.cap - self.in_flight)

    @property
    def room(self) -> int:
        """Outputs that may still be submitted: free slots plus what Flow's queue may hold."""
        return max(0, self.cap + self.queue - self.in_flight)

    def fits(self, outputs: int, now: float) -> bool:
        """Whether a prompt of `outputs` may be submitted now.

        A prompt larger than the cap may still go when nothing is in flight, so that a lowered
        cap never blocks a 4-output prompt forever.
        """
        if now < self.backoff_until or now < self.next_submit_at:
            return False
        return outputs <= self.room or (self.in_flight == 0 and self.cap > 0)


def current_cap(backoff: dict | None, flow: FlowSettings, now: float) -> tuple[int, float]:
    """(cap, backoff_until) from the stored backoff record."""
    if not backoff:
        return flow.render_slots, 0.0
    cap = flow.render_slots
    if now < float(backoff.get("cap_until", 0.0)):
        cap = int(backoff.get("cap", cap))
    return cap, float(backoff.get("until", 0.0))


def _queue(cap: int, flow: FlowSettings, queue_room: int) -> int:
    """What may wait in Flow's own queue beyond `cap`.

    Flow starts a queued output the moment one of *its* slots frees (`FLOW_ACCOUNT_SLOTS`),
    not ours: renders running = min(outputs in Flow, Flow's slots). That stays within our cap
    only while Flow's slots are no more than the cap, so a budget kept below Flow's own limit
    (a person also uses the account by hand) gets no queue-ahead at all. While a backoff
    lowers the cap, Flow just said "too quickly": nothing waits in its queue either.
    """
    return queue_room if cap >= max(flow.render_slots, flow.account_slots) else 0


async def snapshot(db: Database, flow: FlowSettings, now: float, queue_room: int = 0) -> SlotState:
    """The slot state from the database; `queue_room`: what the Flow client's page may hold
    in its own queue (`FlowClient.queue_room`)."""
    backoff = await repo.kv_read(db, repo.KV_BACKOFF)
    cap, until = current_cap(backoff, flow, now)
    pace = await repo.kv_read(db, repo.KV_PACE) or {}
    return SlotState(cap=cap, in_flight=await repo.in_flight_outputs_async(db), backoff_until=until,
                     queue=_queue(cap, flow, queue_room), next_submit_at=float(pace.get("next", 0.0)))


def snapshot_sync(conn: sqlite3.Connection, flow: FlowSettings, now: float,
                  queue_room: int = 0) -> SlotState:
    """`snapshot` inside a transaction."""
    cap, until = current_cap(repo.kv_get(conn, repo.KV_BACKOFF), flow, now)
    pace = repo.kv_get(conn, repo.KV_PACE) or {}
    return SlotState(cap=cap, in_flight=repo.in_flight_outputs(conn), backoff_until=until,
                     queue=_queue(cap, flow, queue_room), next_submit_at=float(pace.get("next", 0.0)))


def _jittered(seconds: float, flow: FlowSettings, rng: random.Random | None) -> float:
    j = flow.submit_gap_jitter
    return seconds * (rng or random).uniform(1 - j, 1 + j)


def note_submit(conn: sqlite3.Connection, flow: FlowSettings, now: float,
                rng: random.Random | None = None) -> float:
    """A submit starts now: the next may start one jittered gap later (`FLOW_SUBMIT_GAP_S`,
    wider for a while after a firewall 403). Returns that time."""
    pace = repo.kv_get(conn, repo.KV_PACE) or {}
    factor = float(pace.get("factor", 1.0)) if now < float(pace.get("factor_until", 0.0)) else 1.0
    nxt = now + _jittered(flow.submit_gap_s * factor, flow, rng) if flow.submit_gap_s > 0 else 0.0
    repo.kv_set(conn, repo.KV_PACE, {**pace, "next": nxt}, now)
    return nxt


def apply_firewall(conn: sqlite3.Connection, flow: FlowSettings, now: float,
                   rng: random.Random | None = None) -> float:
    """Google's front end refused a submit with a 403: no submit for a jittered
    `FLOW_FIREWALL_BACKOFF_S`, then submits paced `FIREWALL_GAP_FACTOR` times wider for an
    hour. Resumes by itself. Returns the end of the backoff."""
    until = now + _jittered(flow.firewall_backoff_s, flow, rng)
    old = repo.kv_get(conn, repo.KV_BACKOFF) or {}
    repo.kv_set(conn, repo.KV_BACKOFF, {**old, "until": max(until, float(old.get("until", 0.0)))}, now)
    pace = repo.kv_get(conn, repo.KV_PACE) or {}
    repo.kv_set(conn, repo.KV_PACE, {**pace, "next": max(until, float(pace.get("next", 0.0))),
                                     "factor": FIREWALL_GAP_FACTOR,
                                     "factor_until": until + FIREWALL_GAP_HOLD_S}, now)
    return until


def apply_rate_limit(conn: sqlite3.Connection, flow: FlowSettings, now: float) -> None:
    """Flow said "too quickly": stop submitting for a while, then run fewer renders at once."""
    old = repo.kv_get(conn, repo.KV_BACKOFF) or {}
    cap, _ = current_cap(old, flow, now)
    lowered = max(1, min(cap, flow.render_slots) - max(1, flow.render_slots // 3))
    until = now + flow.rate_limit_backoff_s
    repo.kv_set(conn, repo.KV_BACKOFF, {
        "until": max(until, float(old.get("until", 0.0))),
        "cap": lowered,
        "cap_until": until + LOWERED_CAP_PERIODS * max(flow.rate_limit_backoff_s, 1.0),
    }, now)
