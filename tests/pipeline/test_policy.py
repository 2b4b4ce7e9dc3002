"""The failure policy (SPEC §1.2) and render-slot accounting, as pure decisions."""

from __future__ import annotations

import sqlite3

import pytest

from bot.config import FlowSettings
from bot.errors import (
    AudioFailedError,
    FirewallError,
    HighDemandError,
    InsufficientCreditsError,
    PolicyViolationError,
    ProminentPeopleError,
    RateLimitedError,
    RetryableFlowError,
    SessionExpiredError,
    SlotsFullError,
    SubmissionUnconfirmedError,
    TermsViolationError,
    UnknownPageStateError,
    UnusualActivityError,
)
from bot.pipeline import policy, slots
from bot.pipeline.flow.classify import classify_failure
from bot.pipeline.stages.submit import _prompt_key
from bot.storage import repo
from bot.storage.migrations import MIGRATIONS, _statements

FLOW = FlowSettings(_env_file=None, high_demand_wait_s=180, high_demand_max_attempts=5,  # type: ignore[call-arg]
                    transient_max_retries=2, rate_limit_backoff_s=120, render_slots=5)


def test_high_demand_waits_three_minutes_for_five_attempts():
    err = HighDemandError()
    decisions = [policy.decide(err, {policy.HIGH_DEMAND: n}, FLOW) for n in range(5)]
    assert [d.action for d in decisions] == ["retry"] * 4 + ["final"]
    assert all(d.delay == 180 for d in decisions[:4])


@pytest.mark.parametrize("err", [RetryableFlowError("Something went wrong"), AudioFailedError(),
                                 classify_failure("Couldn't generate video")])
def test_transient_failures_retry_twice_then_final(err):
    actions = [policy.decide(err, {policy.TRANSIENT: n}, FLOW).action for n in range(3)]
    assert actions == ["retry", "retry", "final"]
    assert "gave up" in policy.decide(err, {policy.TRANSIENT: 2}, FLOW).user_reason


def test_transient_and_high_demand_budgets_are_separate():
    d = policy.decide(HighDemandError(), {policy.TRANSIENT: 2}, FLOW)
    assert d.action == "retry"


@pytest.mark.parametrize("err", [PolicyViolationError(), ProminentPeopleError(), TermsViolationError()])
def test_content_refusals_are_final_with_the_reason_in_plain_words(err):
    d = policy.decide(err, {}, FLOW)
    assert d.action == "final" and d.user_reason == err.user_reason
    assert not policy.retryable_by_user(err.code)


@pytest.mark.parametrize("err, kind", [(InsufficientCreditsError(), "credits"),
                                       (UnusualActivityError(), "unusual_activity"),
                                       (SessionExpiredError(), "session_expired")])
def test_account_problems_pause_the_account(err, kind):
    d = policy.decide(err, {}, FLOW)
    assert d.action == "pause" and d.pause_kind == kind


def test_too_quickly_backs_off_the_account_and_is_not_counted():
    d = policy.decide(RateLimitedError(), {policy.TRANSIENT: 99}, FLOW)
    assert d.action == "backoff" and d.delay == 120
    assert policy.budget_of(RateLimitedError()) == policy.NOT_COUNTED
    assert policy.decide(SlotsFullError(), {}, FLOW).action == "wait_slots"


def test_unknown_page_or_text_is_retried_once_then_final():
    for err in (UnknownPageStateError("??"), classify_failure("The flux capacitor overheated")):
        assert policy.decide(err, {}, FLOW).action == "retry"
        assert policy.decide(err, {policy.UNKNOWN: 1}, FLOW).action == "final"


def test_a_clicked_submission_never_found_is_final_with_an_admin_alert_never_retried():
    """Issue 19: an unknown outcome after the paid click must not use the "retry once" budget
    (that was a second paid submit): it is held, and past the window a person decides."""
    err = SubmissionUnconfirmedError("prompt 'fog', clicked at 1000 (waited 900 s)")
    for earlier in ({}, {policy.UNKNOWN: 1}):
        d = policy.decide(err, earlier, FLOW)
        assert d.action == "final" and "never seen" in d.alert and "fog" in d.alert
    assert policy.budget_of_code(err.code) == policy.NOT_COUNTED
    assert policy.retryable_by_user(err.code)  # the user may choose to pay again
    # The driver's own "unknown" (no reply seen) is not Flow's answer; a refusal is.
    assert not UnknownPageStateError("x", code="outcome_unknown").answered
    assert RateLimitedError("too quickly").answered


def test_budget_of_code_matches_budget_of_errors():
    for err in (HighDemandError(), AudioFailedError(), RetryableFlowError(), PolicyViolationError(),
                RateLimitedError(), classify_failure("weird"), UnknownPageStateError()):
        assert policy.budget_of_code(err.code) == policy.budget_of(err), err.code


@pytest.fixture
def conn():
    c = sqlite3.connect(":memory:")
    c.row_factory = sqlite3.Row
    for script in MIGRATIONS:
        for statement in _statements(script):
            c.execute(statement)
    yield c
    c.close()


def _three_generations_of_two(conn, now: float, prompts=("p", "p", "p")) -> list[int]:
    """A batch of three items, each with a 2-output generation 'submitting'; the item ids."""
    b = repo.insert_batch(conn, user_id=1, chat_id=1, source="cli", aspect="9:16", outputs=2,
                          model="Veo 3.1 - Fast", preset="fast", title=None, now=now)
    items = []
    for pos, prompt in enumerate(prompts, start=1):
        items.append(repo.insert_item(conn, batch_id=b, position=pos, image_path="x",
                                      image_sha256=None, prompt=prompt, now=now))
        repo.insert_generation(conn, item_id=items[-1], attempt=1, outputs=2, model="m",
                               aspect="9:16", now=now)
    return items


def test_every_unsettled_submission_is_listed_with_its_prompt(conn):
    """Regression: only one unsettled submission was returned (LIMIT 1); with two (one left by
    a crashed task, one awaiting Flow's answer) a submit could start beside the other one of
    its own prompt, which a crash reconcile by prompt could then confuse."""
    a, b, c = _three_generations_of_two(conn, 1000.0, ("fog at dawn", "a red kite", "fog  at Dawn"))
    others = repo.unsettled_submissions(conn, c)
    assert sorted((o["item_id"], o["prompt"]) for o in others) == [(a, "fog at dawn"), (b, "a red kite")]
    assert _prompt_key("fog  at Dawn") in {_prompt_key(o["prompt"]) for o in others}


def test_slot_state_counts_outputs_in_flight(conn):
    now = 1000.0
    _three_generations_of_two(conn, now)
    conn.execute("UPDATE generations SET status = 'done' WHERE id = 3")
    state = slots.snapshot_sync(conn, FLOW, now)
    assert (state.cap, state.in_flight, state.free) == (5, 4, 1)
    assert state.fits(1, now) and not state.fits(2, now)
    # A prompt larger than the cap still goes when nothing is in flight (never blocked forever).
    assert slots.SlotState(cap=2, in_flight=0).fits(4, now)


def test_flows_own_queue_adds_room_beyond_the_render_slots(conn):
    now = 1000.0
    _three_generations_of_two(conn, now)
    # 6 outputs in flight on 5 slots: one already waits in Flow's queue; 3 more may join it.
    state = slots.snapshot_sync(conn, FLOW, now, queue_room=4)
    assert (state.free, state.room) == (0, 3)
    assert state.fits(2, now) and not state.fits(4, now)
    assert not slots.snapshot_sync(conn, FLOW, now).fits(1, now)  # no queue room (before the first page)


def test_render_budget_below_flows_own_slots_gets_no_queue_ahead(conn):
    """Regression (test_render_slot_budget_is_never_exceeded saw 4 renders with a budget of 3):
    Flow starts a queued output as soon as one of *its* 5 slots frees, so whatever we queued
    beyond a budget of 3 rendered at once. Queue-ahead only where the budget covers Flow's
    own slots."""
    now = 1000.0
    _three_generations_of_two(conn, now)
    conn.execute("UPDATE generations SET status = 'done' WHERE id IN (2, 3)")  # 2 in flight
    budget = FLOW.model_copy(update={"render_slots": 3})
    state = slots.snapshot_sync(conn, budget, now, queue_room=4)
    assert (state.cap, state.in_flight, state.queue, state.room) == (3, 2, 0, 1)
    assert state.fits(1, now) and not state.fits(2, now)
    # Flow's own limit no higher than the budget: what waits in its queue cannot start early.
    matched = FLOW.model_copy(update={"render_slots": 3, "account_slots": 3})
    assert slots.snapshot_sync(conn, matched, now, queue_room=4).room == 5


def test_no_queueing_ahead_while_a_backoff_lowers_the_cap(conn):
    now = 1000.0
    slots.apply_rate_limit(conn, FLOW, now)
    assert not slots.snapshot_sync(conn, FLOW, now + 1, queue_room=4).fits(1, now + 1)
    lowered = slots.snapshot_sync(conn, FLOW, now + 121, queue_room=4)
    assert lowered.cap < FLOW.render_slots and lowered.queue == 0
    assert slots.snapshot_sync(conn, FLOW, now + 121 + 4 * 120, queue_room=4).queue == 4


def test_too_quickly_stops_submits_then_lowers_the_cap_for_a_while(conn):
    now = 1000.0
    slots.apply_rate_limit(conn, FLOW, now)
    state = slots.snapshot_sync(conn, FLOW, now + 1)
    assert not state.fits(1, now + 1)  # backing off
    later = slots.snapshot_sync(conn, FLOW, now + 121)
    assert later.fits(1, now + 121) and later.cap < FLOW.render_slots
    much_later = slots.snapshot_sync(conn, FLOW, now + 121 + 4 * 120)
    assert much_later.cap == FLOW.render_slots


def test_submits_are_paced_by_a_jittered_gap(conn):
    """FLOW_SUBMIT_GAP_S: the next submit waits one gap (±jitter) after the last one started."""
    import random

    flow = FLOW.model_copy(update={"submit_gap_s": 10.0, "submit_gap_jitter": 0.3})
    now = 1000.0
    gaps = set()
    for i in range(20):
        nxt = slots.note_submit(conn, flow, now + 100 * i, random.Random(i))
        assert 7.0 <= nxt - (now + 100 * i) <= 13.0
        gaps.add(round(nxt - (now + 100 * i), 3))
        state = slots.snapshot_sync(conn, flow, now + 100 * i)
        assert not state.fits(1, now + 100 * i + 6.9) and state.fits(1, nxt)
    assert len(gaps) > 10  # jittered, not one fixed gap
    off = FLOW.model_copy(update={"submit_gap_s": 0.0})
    slots.note_submit(conn, off, 5000.0)
    assert slots.snapshot_sync(conn, off, 5000.0).fits(1, 5000.0)


def test_a_firewall_403_stops_submits_then_paces_wider_for_an_hour(conn):
    import random

    flow = FLOW.model_copy(update={"submit_gap_s": 10.0, "submit_gap_jitter": 0.3,
                                   "firewall_backoff_s": 180.0})
    d = policy.decide(FirewallError("403"), {}, flow)
    assert (d.action, d.backoff_kind, d.budget) == ("backoff", "firewall", policy.NOT_COUNTED)
    now = 1000.0
    until = slots.apply_firewall(conn, flow, now, random.Random(1))
    assert 126.0 <= until - now <= 234.0
    assert not slots.snapshot_sync(conn, flow, until - 1).fits(1, until - 1)
    assert slots.snapshot_sync(conn, flow, until).fits(1, until)  # resumes by itself
    nxt = slots.note_submit(conn, flow, until, random.Random(2))
    assert 21.0 <= nxt - until <= 39.0  # three times the gap, for an hour
    later = until + slots.FIREWALL_GAP_HOLD_S + 1
    assert slots.note_submit(conn, flow, later, random.Random(3)) - later <= 13.0


async def test_pipeline_housekeeping_prunes_week_old_finished_tasks_hourly(db, queue, clock):
    """Regression: TaskQueue.prune existed but nothing called it, so `tasks` grew forever."""
    from bot.config import load_settings
    from bot.pipeline.loop import PRUNE_AFTER_S, PRUNE_EVERY_S, Pipeline
    from bot.storage.queue import worker_id

    pipeline = Pipeline(db, queue, None, None, None, None, load_settings(None), clock)
    me = worker_id()

    async def finished_task() -> int:
        task_id = await queue.enqueue("deliver")
        await queue.claim(me)
        await queue.complete(task_id, me)
        return task_id

    first = await finished_task()
    clock.advance(PRUNE_EVERY_S / 2)
    second = await finished_task()
    waiting = await queue.enqueue("submit")
    clock.advance(PRUNE_AFTER_S - PRUNE_EVERY_S / 2 + 1)
    assert await pipeline.housekeeping() == 1  # only the first is a week old
    assert await queue.get(first) is None and await queue.get(second) is not None
    clock.advance(PRUNE_EVERY_S / 2)  # the second is a week old now, but a sweep just ran
    assert await pipeline.housekeeping() == 0
    clock.advance(PRUNE_EVERY_S / 2)
    assert await pipeline.housekeeping() == 1
    assert await queue.get(second) is None
    assert (await queue.get(waiting)).status == "queued"


async def test_a_lost_session_is_checked_less_and_less_often_never_in_a_reload_loop(db, queue, clock):
    """FLOW_2026 Dec. 7: `/about` can be Google's identity re-check. While the account stays
    paused the pipeline's session check (a page load each) backs off, doubling up to 30 min,
    instead of reloading Flow every 30 s for as long as nobody signs in."""
    from bot.config import load_settings
    from bot.pipeline.flow.api import SessionInfo
    from bot.pipeline.loop import SESSION_CHECK_MAX_S, Pipeline

    class SignedOutFlow:  # the Flow boundary: every check finds /about
        checks: list[float] = []

        async def check_session(self) -> SessionInfo:
            self.checks.append(clock.now())
            return SessionInfo(False, None, "Flow shows its public /about page", clock.now())

    flow = SignedOutFlow()
    pipeline = Pipeline(db, queue, flow, None, None, None, load_settings(None), clock,
                        session_check_s=30.0)
    await db.write_sync(lambda conn: repo.set_pause(conn, "session_expired", "/about", clock.now()))
    start = clock.now()
    for _ in range(6 * 3600 // 10):  # six hours of ticks, one every 10 s
        await pipeline._maybe_resume()
        clock.advance(10)
    gaps = [b - a for a, b in zip(flow.checks, flow.checks[1:], strict=False)]
    assert flow.checks[0] == start and len(flow.checks) < 20
    assert gaps == sorted(gaps) and gaps[-1] <= SESSION_CHECK_MAX_S + 10
    assert gaps[0] <= 70 and gaps[-1] >= SESSION_CHECK_MAX_S - 10
