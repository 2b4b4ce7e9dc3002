"""The money guard: every check before the one click that spends (no warning, agent mode off,
the chips hold our frames, the live quote against the price table and the item's cap), and
the proof of billing read from the page's own submit request afterwards."""

from __future__ import annotations

import asyncio
import logging
import re
import time

from playwright.async_api import Locator, Page

from bot.errors import (
    FlowError,
    InsufficientCreditsError,
    OverCapError,
    PriceMismatchError,
    UnknownPageStateError,
)
from bot.pipeline import catalog
from bot.pipeline.flow import modelkeys
from bot.pipeline.flow.api import GenerationRequest
from bot.pipeline.flow.locate import NotFound, find, probe
from bot.pipeline.flow.ui.flow2026 import selectors as S
from bot.pipeline.flow.ui.flow2026 import wire as W
from bot.pipeline.flow.ui.flow2026.base import REG, Flow2026Base, norm
from bot.pipeline.flow.ui.flow2026.composer import FrameNotBound, holds
from bot.pipeline.flow.ui.flow2026.settings import SettingsMismatch

log = logging.getLogger(__name__)


class GuardMixin(Flow2026Base):
    """The checks before the paid click and the live price quote."""

    async def _money_guard(self, page: Page, req: GenerationRequest,
                           frames: list[tuple[str, str]]) -> int:
        """Every check before the one click that spends; returns the live quote."""
        t = self.timeout
        warning = await probe(page, "prompt_warning", registry=REG)
        if warning is not None:
            raise InsufficientCreditsError(norm(await warning.locator.inner_text()) or "insufficient credits")
        chip = await probe(page, "agent_chip", registry=REG)
        if chip is not None and await chip.locator.get_attribute("aria-pressed") == "true":
            raise UnknownPageStateError("agent mode came back on before the click", code="agent_mode")
        if await probe(page, "agent_prompt_box", registry=REG) is not None:
            raise UnknownPageStateError("the agent composer is showing", code="agent_mode")
        chips = await self._chips(page)
        for index in (0, 1):
            held = chips[index] if index < len(chips) else None
            want = frames[index] if index < len(frames) else None
            if want is None and held is not None:
                raise FrameNotBound(f"{'start' if index == 0 else 'end'} chip holds an image we did not ask for")
            if want is not None and not holds(held, *want):
                raise FrameNotBound(f"{'start' if index == 0 else 'end'} chip does not hold our image")
        plan = await self._read_plan(page)
        try:
            offer = catalog.offer(req.model, plan)  # type: ignore[arg-type]
            per = catalog.credits_per_output(req.model, plan, req.duration, req.resolution)  # type: ignore[arg-type]
            known = catalog.is_known_price(req.model, plan, req.duration, req.resolution)  # type: ignore[arg-type]
        except catalog.UnknownOffer as err:
            raise SettingsMismatch(str(err)) from err
        quote = await self._quote(page, req, offer)
        caps = [c for c in (req.max_credits, self.settings.max_credits_per_item or None) if c]
        refusal = price_verdict(quote, per * req.outputs, known, min(caps) if caps else None,
                                f"{req.model} {req.duration}s {req.resolution} x{req.outputs} on {plan}")
        if refusal is not None:
            raise refusal
        # Last: the button must be the submit control, not a warning or an agent stop button.
        await find(page, "submit", t, registry=REG)
        return quote

    async def _quote(self, page: Page, req: GenerationRequest, offer: catalog.Offer) -> int:
        """The live price `a.credit-cost-link`: next to the submit button where the page shows
        it there; else the one the settings popover showed for exactly the settings read back
        in this submit (nothing that changes the price happened since, and the closed summary
        was checked again); else the popover is opened for it (and read back once more)."""
        match = await probe(page, "price", registry=REG)
        if match is not None:
            return await self._price_of(match.locator)
        if self._quote_seen is not None:
            await self._summary_agrees(page, req)
            return self._quote_seen
        await self._open_settings(page)
        try:
            got, problems = await self._readback(page, req, offer)
            if problems:
                raise SettingsMismatch(f"settings changed before the click: {got}; wrong: {problems}")
            try:
                link = await find(page, "price", min(self.timeout, 3.0), registry=REG)
            except NotFound:
                raise UnknownPageStateError("no price quote on the page", code="no_quote") from None
            return await self._price_of(link)
        finally:
            await self._close_settings(page)

    async def _price_of(self, link: Locator) -> int:
        deadline = time.monotonic() + min(self.timeout, 3.0)
        while True:
            found = re.search(S.PRICE_RE, await link.inner_text() or "")
            if found:
                return int(re.sub(r"\D", "", found.group(1)))
            if time.monotonic() >= deadline:
                raise UnknownPageStateError("the price quote shows no number", code="no_quote")
            await asyncio.sleep(0.05)


def billing_proof(sent: W.SubmitRequest, records, req: GenerationRequest,
                  frame_ids: list[str]) -> dict:
    """What the page's submit billed, and `mismatch` (text) where it is not `req`.

    Compared with what we asked: the kind (by rpc id and by each model key's grammar), the
    family and Veo tier of every key (request and records), the duration (the record's, else the
    key's), the resolution (the key's; none named = 720p), the count of outputs (requests and
    records), the input media in order and, where the records name them, their roles. A key of a
    known family with tokens we do not know passes with a warning; an unknown family is a
    mismatch.
    """
    records = tuple(records or ())
    keys = list(sent.model_keys) + [r.model_key for r in records if r.model_key]
    first = records[0] if records else None
    key = (first.model_key if first else None) or sent.model_key
    parsed = modelkeys.parse(key)
    duration = (first.duration_s if first else None) or parsed.duration_s
    proof = {
        "kind": sent.kind, "frame_media_ids": sent.frame_media_ids, "model_key": key,
        "duration": duration, "count": sent.count, "resolution": parsed.resolution or "720p",
        "family": parsed.family, "client_request_id": sent.client_request_id,
    }
    problems = []
    if sent.unreadable:
        problems.append(f"the submit request could not be read ({sent.unreadable})")
    if sent.kind != req.kind:
        problems.append(f"{sent.kind} instead of {req.kind}")
    if sent.frame_media_ids != list(frame_ids):
        problems.append(f"frames {sent.frame_media_ids} instead of {list(frame_ids)}")
    if sent.count != req.outputs or (records and len(records) != req.outputs):
        problems.append(f"{max(sent.count, len(records))} outputs instead of {req.outputs}")
    family, tier = modelkeys.family_of_model(req.model)
    lower = "lower priority" in req.model.lower()
    for k in sorted(set(keys)):
        mk = modelkeys.parse(k)
        wrong = (mk.family is None or mk.family != family or mk.kind != req.kind
                 or (mk.tier is not None and tier is not None and mk.tier != tier)
                 or mk.low_priority != lower
                 or (mk.duration_s is not None and mk.duration_s != req.duration)
                 or (mk.resolution or "720p") != req.resolution)
        if wrong:
            problems.append(f"model key {k!r} for {req.model} {req.kind} {req.duration}s {req.resolution}")
        elif mk.unknown_tokens:
            log.warning("model key %r has tokens the grammar does not know %s; accepted as %s",
                        k, list(mk.unknown_tokens), mk.family)
    if duration is not None and duration != req.duration:
        problems.append(f"{duration} s instead of {req.duration} s")
    want_roles = {"t2v": [], "i2v": ["start"], "interpolation": ["start", "end"]}.get(req.kind, [])
    known_roles = set(W.INPUT_ROLES.values())
    for r in records:
        wrong_ids = [i.media_id for i in r.inputs] != list(frame_ids)
        wrong_roles = [(i.role, want) for i, want in zip(r.inputs, want_roles, strict=False)
                       if i.role in known_roles and i.role != want]
        if wrong_ids or wrong_roles:
            problems.append(f"inputs {[(i.media_id, i.role) for i in r.inputs]} instead of "
                            f"{list(zip(frame_ids, want_roles, strict=False))}")
            break
        odd = [i.role for i in r.inputs if i.role not in known_roles]
        if odd:
            log.warning("input roles %s are not known (the media ids match)", odd)
    if problems:
        proof["mismatch"] = "; ".join(problems)
    return proof


def price_verdict(quote: int, expected: int, known: bool, cap: int | None,
                  what: str = "this request") -> FlowError | None:
    """The money guard's price rule; None = the quote may be spent.

    Above the item's cap → `OverCapError` (final for the item). A measured price (`known`) must
    equal the table → else `PriceMismatchError` (pause: the table or Flow changed). A guessed
    price is accepted up to the cap, or up to our guess when no cap is set.
    """
    if cap is not None and quote > cap:
        return OverCapError(f"Flow quotes {quote} credits for {what}, above the cap of {cap}")
    if known and quote != expected:
        return PriceMismatchError(
            f"Flow quotes {quote} credits for {what}; the price table says {expected}")
    if not known and quote > (cap if cap is not None else expected):
        return PriceMismatchError(
            f"Flow quotes {quote} credits for {what}; the table only guesses {expected} "
            "and no cap allows more")
    return None
