"""The catalogue learned from the page: what the account can buy, as the survey walk saw it.

`learned_from_survey(baseline)` turns a survey baseline (`bot/pipeline/flow/survey.py`:
``"plan"``, ``"options": {model: {"durations" | "duration_range", "resolutions", "counts"}}``,
``"prices": {model: {"8s 720p x1": credits}}``, ``"build"``, ``"taken_at"``) into offers:
quoted combinations are known prices (per output: a quote for ``x2`` is halved), every other
combination is priced by `catalog`'s rules (Omni 1.2's per-second price, the table) and marked
unknown; a model our rules do not know is priced per second from its nearest quote.

`CatalogStore` keeps the newest one in the `kv` table (key `catalog.learned`) with its date and
Flow's build label; `catalog.learn(baseline, store)` stores and installs one, and
`load_installed(db)` installs the stored one at start-up. Pure functions and plain data: this
module never touches the page.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.pipeline import catalog
from bot.pipeline.catalog import Offer

log = logging.getLogger(__name__)

FORMAT = 1
KV_KEY = "catalog.learned"
_PRICE_KEY = re.compile(r"^\s*(?:(?P<d>\d{1,3})s)?\s*(?:(?P<r>\d{3,4}p))?\s*x(?P<n>\d{1,2})\s*$")
_MAX_MODELS = 64  # a baseline is ours, but a stored one is read back: keep it bounded
_MAX_SECONDS = 60


@dataclass(frozen=True)
class LearnedCatalog:
    """What one account offered when the survey walked its page."""

    plan: str | None  # "free" | "pro" | "ultra"; None: the page showed no plan (covers any)
    build: str | None  # Flow's build label, e.g. boq_labs-ai-sandbox-frontend_20261205
    taken_at: str | None  # ISO time of the survey
    models: tuple[str, ...]  # as the model menu listed them
    offers: dict[str, Offer] = field(default_factory=dict)  # model -> its offer on `plan`
    source: dict[str, Any] = field(default_factory=dict)  # the stored subset of the baseline

    def covers(self, plan: str) -> bool:
        return self.plan is None or self.plan == plan

    def offer(self, model: str, plan: str) -> Offer | None:
        return self.offers.get(model) if self.covers(plan) else None

    @property
    def taken_on(self) -> date | None:
        try:
            return datetime.fromisoformat(str(self.taken_at)).date() if self.taken_at else None
        except ValueError:
            return None

    @property
    def unknown_models(self) -> tuple[str, ...]:
        """Models the page listed that the driver has no name for (offered to nobody)."""
        return tuple(m for m in self.models if m not in catalog.MODELS)


def _ints(values: Any, lo: int = 1, hi: int = _MAX_SECONDS) -> list[int]:
    out = []
    for v in values if isinstance(values, list) else []:
        if isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi:
            out.append(v)
    return sorted(set(out))


def _resolutions(values: Any) -> list[str]:
    return sorted({v for v in values if isinstance(v, str) and re.fullmatch(r"\d{3,4}p", v)},
                  key=lambda r: int(r[:-1])) if isinstance(values, list) else []


def _quotes(prices: Any, durations: tuple[int, ...], resolutions: tuple[str, ...]
            ) -> dict[tuple[int, str], int]:
    """Per-output credits of each quoted combination (a group the page had no row for takes the
    model's single value)."""
    out: dict[tuple[int, str], int] = {}
    if not isinstance(prices, dict):
        return out
    # The x1 quote wins over a divided higher count: read counts ascending.
    for key, credits in sorted(prices.items(), key=lambda kv: str(kv[0])):
        m = _PRICE_KEY.match(str(key))
        if m is None or not isinstance(credits, int) or isinstance(credits, bool) or credits < 0:
            continue
        n = int(m["n"])
        d = int(m["d"]) if m["d"] else (durations[0] if len(durations) == 1 else None)
        r = m["r"] or (resolutions[0] if len(resolutions) == 1 else None)
        if d is None or r is None or n < 1 or credits % n or d not in durations:
            continue
        if (d, r) not in out or n == 1:
            out[(d, r)] = credits // n
    return out


def _by_rule(model: str, plan: str, d: int, r: str, quotes: dict[tuple[int, str], int]) -> int | None:
    price = catalog.rule_price(model, plan, d, r)
    if price is not None:
        return price
    # A model our rules do not know: per second from the nearest quote (same resolution first).
    same = [(abs(qd - d), qd, c) for (qd, qr), c in quotes.items() if qr == r]
    pool = same or [(abs(qd - d), qd, c) for (qd, _qr), c in quotes.items()]
    if not pool:
        return None
    _dist, qd, c = min(pool)
    return round(c * d / qd)


def _offer(model: str, plan: str, options: dict[str, Any], prices: Any) -> Offer | None:
    try:
        known_offer: Offer | None = catalog.fallback_offer(model, plan)
    except catalog.UnknownOffer:
        known_offer = None
    rng = options.get("duration_range")
    duration_range: tuple[int, int] | None = None
    if isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, int) for x in rng) \
            and 1 <= rng[0] <= rng[1] <= _MAX_SECONDS:
        duration_range = (rng[0], rng[1])
        durations = tuple(range(rng[0], rng[1] + 1))
    else:
        durations = tuple(_ints(options.get("durations")))
    if not durations:
        # No duration row on the page: the model has one duration (Veo on Pro: 8 s).
        durations = known_offer.durations if known_offer is not None else (8,)
        duration_range = known_offer.duration_range if known_offer is not None else None
    resolutions = tuple(_resolutions(options.get("resolutions"))) or (
        known_offer.resolutions if known_offer is not None else ("720p",))
    quotes = _quotes(prices, durations, resolutions)
    table: dict[tuple[int, str], int] = {}
    for d in durations:
        for r in resolutions:
            price = quotes.get((d, r))
            if price is None:
                price = _by_rule(model, plan, d, r, quotes)
            if price is not None:
                table[(d, r)] = price
    if not table:
        return None
    end_max = known_offer.end_frame_max if known_offer is not None else None
    return Offer(model, plan, durations, resolutions, table, frozenset(quotes) & frozenset(table),
                 duration_range=duration_range, end_frame_max=end_max)


def learned_from_survey(baseline: dict[str, Any]) -> LearnedCatalog:
    """The learned catalogue of a survey baseline (see the module docstring). Pure; never raises
    on odd data: a model whose options cannot be read is left out (and logged)."""
    plan_seen = str(baseline.get("plan") or "").strip().lower()
    plan = plan_seen if plan_seen in catalog.PLANS else None
    rules_plan = plan or "pro"
    options = baseline.get("options") if isinstance(baseline.get("options"), dict) else {}
    prices = baseline.get("prices") if isinstance(baseline.get("prices"), dict) else {}
    menu = (baseline.get("labels") or {}).get("models") if isinstance(baseline.get("labels"), dict) \
        else baseline.get("models")
    order = [m for m in (menu or []) if isinstance(m, str)] or list(options)
    models = [m for m in dict.fromkeys(order + list(options)) if isinstance(m, str)][:_MAX_MODELS]
    offers: dict[str, Offer] = {}
    for model in models:
        opts = options.get(model)
        if not isinstance(opts, dict):
            continue
        made = _offer(model, rules_plan, opts, prices.get(model))
        if made is None:
            log.warning("learned catalogue: no price for %s; left out", model)
            continue
        offers[model] = made
    build = baseline.get("build")
    source = {"format": FORMAT, "plan": plan, "build": build if isinstance(build, str) else None,
              "taken_at": baseline.get("taken_at") if isinstance(baseline.get("taken_at"), str)
              else None,
              "models": [m for m in models if m in offers],
              "options": {m: options[m] for m in offers}, "prices": {m: prices.get(m) or {}
                                                                     for m in offers}}
    return LearnedCatalog(plan=plan, build=source["build"], taken_at=source["taken_at"],
                          models=tuple(source["models"]), offers=offers, source=source)


# -- the store ---------------------------------------------------------------------------------

def save_sync(conn: sqlite3.Connection, learned: LearnedCatalog, now: float) -> None:
    """Store `learned` (inside the caller's transaction); the plan it saw becomes the account's."""
    from bot.storage import repo

    repo.kv_set(conn, KV_KEY, learned.source, now)
    if learned.plan is not None:
        repo.kv_set(conn, repo.KV_PLAN, learned.plan, now)


def load_sync(conn: sqlite3.Connection) -> LearnedCatalog | None:
    from bot.storage import repo

    return _from_stored(repo.kv_get(conn, KV_KEY))


def _from_stored(value: Any) -> LearnedCatalog | None:
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        return None
    labels = {"models": value.get("models") or []}
    return learned_from_survey({**value, "labels": labels})


class CatalogStore:
    """The learned catalogue in the database's `kv` table."""

    def __init__(self, db: Any) -> None:
        self.db = db

    async def save(self, learned: LearnedCatalog) -> None:
        now = self.db.now()
        await self.db.write_sync(lambda conn: save_sync(conn, learned, now))

    async def load(self) -> LearnedCatalog | None:
        from bot.storage import repo

        return _from_stored(await repo.kv_read(self.db, KV_KEY))


async def load_installed(db: Any, clock: Any = None) -> LearnedCatalog | None:
    """Start-up: install the stored learned catalogue (if any) and the clock retirements are
    judged by. Without a stored one, what is installed stays (a fresh process: none)."""
    if clock is not None:
        catalog.set_clock(clock)
    learned = await CatalogStore(db).load()
    if learned is not None:
        catalog.install(learned)
    return learned
