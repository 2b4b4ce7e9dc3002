"""The price and capability table against FLOW_2026.md §11 and its December section; what the
account offers now (retirements by date, the learned catalogue), and the learned catalogue's
store."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.pipeline import catalog, catalog_learned
from bot.pipeline.catalog import (
    OMNI,
    OMNI_12,
    VEO_FAST,
    VEO_LITE,
    VEO_LITE_LOW,
    VEO_QUALITY,
)
from bot.pipeline.catalog_learned import CatalogStore, learned_from_survey
from tests.fixtures.catalogs import december_baseline, october_baseline

FLOW_2026 = Path("/work/shared/FLOW_2026.md")


def at(day: date) -> float:
    """Noon UTC of `day` as epoch seconds (what an injected clock says)."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp()


BEFORE, ON, AFTER = at(date(2026, 12, 6)), at(date(2026, 12, 7)), at(date(2027, 1, 15))

# §11, transcribed row by row: (model, plan) -> {(seconds, resolution): credits per output}.
# Kept for October's models (their clips are still priced) after their retirement.
SECTION_11 = {
    (OMNI, "pro"): {(4, "360p"): 4, (6, "360p"): 5, (8, "360p"): 6, (10, "360p"): 7,
                    (4, "720p"): 7, (6, "720p"): 10, (8, "720p"): 12, (10, "720p"): 15},
    (VEO_LITE, "pro"): {(8, "720p"): 10},
    (VEO_LITE, "ultra"): {(4, "720p"): 5, (6, "720p"): 5, (8, "720p"): 5},
    (VEO_FAST, "pro"): {(8, "720p"): 20},
    (VEO_FAST, "ultra"): {(4, "720p"): 10, (6, "720p"): 10, (8, "720p"): 10},
    (VEO_QUALITY, "pro"): {(8, "720p"): 100},
    (VEO_QUALITY, "ultra"): {(4, "720p"): 100, (6, "720p"): 100, (8, "720p"): 100},
}


@pytest.mark.parametrize("model, plan", sorted(SECTION_11))
def test_every_row_prices_and_offers_exactly_what_section_11_lists(model, plan):
    offer = catalog.offer(model, plan)
    rows = SECTION_11[(model, plan)]
    assert set(offer.prices) == set(rows)  # no combination more, none less
    for (seconds, res), credits in rows.items():
        assert catalog.credits_per_output(model, plan, seconds, res) == credits
        assert catalog.is_known_price(model, plan, seconds, res)
    assert set(offer.durations) == {d for d, _ in rows}
    assert set(offer.resolutions) == {r for _, r in rows}
    assert offer.duration_range is None  # radios, not a slider


def test_omni_on_ultra_knows_only_the_one_price_seen():
    assert catalog.credits_per_output(OMNI, "ultra", 8, "720p") == 12
    assert catalog.is_known_price(OMNI, "ultra", 8, "720p")
    assert not catalog.is_known_price(OMNI, "ultra", 4, "360p")  # assumed from Pro


def test_lower_priority_lite_is_the_ultra_entitlement_and_veo_has_no_360p():
    # December §1 corrects §11's "4 s, 0 on some accounts": the Ultra ($199.99) entitlement.
    low = catalog.fallback_offer(VEO_LITE_LOW, "ultra")
    assert low.durations == (4, 6, 8) and set(low.prices.values()) == {0}
    for plan in ("free", "pro"):
        with pytest.raises(catalog.UnknownOffer):
            catalog.offer(VEO_LITE_LOW, plan)
    # Our knowledge cannot tell which Ultra account has it: only a learned catalogue offers it.
    assert VEO_LITE_LOW not in catalog.models_for("ultra")
    for model in (VEO_LITE, VEO_FAST, VEO_QUALITY):
        with pytest.raises(catalog.UnknownOffer):
            catalog.credits_per_output(model, "ultra", 8, "360p")
        with pytest.raises(catalog.UnknownOffer):  # 4 s exists only on Ultra
            catalog.credits_per_output(model, "pro", 4, "720p")


def test_every_model_row_of_the_documents_is_in_the_table():
    text = FLOW_2026.read_text(encoding="utf-8")
    section = text[text.index("## 11."):]
    names = {n.strip() for n in re.findall(r"^\| (Omni[^|]*?|Veo[^|]*?) \|", section, flags=re.M)}
    assert names, "the §11 table was not found"
    december = text[text.index("## December 2026"):text.index("## 0.")]
    assert "`Omni 1.2 Flash`" in december
    assert names | {OMNI_12} == set(catalog.MODELS)


# -- Omni 1.2 Flash: a slider, per-second prices ----------------------------------------------

@pytest.mark.parametrize("seconds, credits", [(3, 9), (4, 12), (8, 24), (10, 30), (11, 36),
                                              (12, 42), (15, 60)])
def test_omni_12_costs_3_a_second_to_10_s_and_6_beyond_at_720p(seconds, credits):
    for plan in ("pro", "ultra"):
        assert catalog.credits_per_output(OMNI_12, plan, seconds, "720p") == credits
        assert catalog.is_known_price(OMNI_12, plan, seconds, "720p")


def test_omni_12_at_360p_is_a_guess_that_matches_the_one_report():
    assert catalog.credits_per_output(OMNI_12, "pro", 4, "360p") == 4  # the one report (L)
    assert catalog.credits_per_output(OMNI_12, "pro", 15, "360p") == 20
    assert not catalog.is_known_price(OMNI_12, "pro", 4, "360p")


def test_omni_12_is_a_range_with_presets_and_an_end_frame_limit():
    pro = catalog.offer(OMNI_12, "pro")
    assert pro.duration_range == (3, 15) and pro.durations == tuple(range(3, 16))
    assert pro.presets() == (4, 6, 8, 10, 12, 15)
    assert pro.allows(3) and pro.allows(15) and not pro.allows(2) and not pro.allows(16)
    assert not pro.allows(True) and not pro.allows("8")
    assert pro.end_frame_ok(10) and not pro.end_frame_ok(11)
    assert pro.default_duration == 8 and pro.default_resolution == "720p"
    free = catalog.offer(OMNI_12, "free")
    assert free.duration_range == (3, 10) and free.presets() == (4, 6, 8, 10)
    with pytest.raises(catalog.UnknownOffer):
        catalog.credits_per_output(OMNI_12, "free", 12, "720p")  # over 10 s needs Pro or Ultra
    assert catalog.widest_range(OMNI_12) == (3, 15)
    # Veo keeps its radios.
    assert catalog.offer(VEO_LITE, "ultra").presets() == (4, 6, 8)


def test_the_free_plan_offers_omni_12_only():
    assert catalog.FREE_DAILY_CREDITS == 50
    assert catalog.models_for("free", BEFORE) == (OMNI_12,)  # ASSUMPTION: no Veo Lite on free
    assert catalog.default_model("free") == OMNI_12


def test_estimate_multiplies_items_outputs_and_the_per_second_price():
    credits, seconds = catalog.estimate(3, 2, OMNI_12, "pro", 12, "720p", render_slots=5)
    assert credits == 3 * 2 * 42 and seconds > 0
    assert catalog.estimate(3, 2, OMNI, "pro", 10, "360p", render_slots=5)[0] == 3 * 2 * 7
    assert catalog.estimate(0, 2, VEO_LITE, "pro", 8, "720p", render_slots=5) == (0, 0.0)
    with pytest.raises(catalog.UnknownOffer):
        catalog.estimate(1, 1, VEO_LITE, "pro", 4, "720p", render_slots=5)


def test_longer_clips_and_slower_models_take_longer():
    assert catalog.render_seconds(OMNI_12, 6) == pytest.approx(35.0)  # FLOW_2026 §8
    assert catalog.render_seconds(OMNI_12, 12) == pytest.approx(70.0)  # scales per second
    assert catalog.render_seconds(OMNI, 10) > catalog.render_seconds(OMNI, 4)
    assert catalog.render_seconds(VEO_QUALITY, 8) > catalog.render_seconds(VEO_FAST, 8)


# -- retirement -------------------------------------------------------------------------------

def test_three_models_retire_on_2026_12_07():
    assert catalog.RETIRED == {OMNI: date(2026, 12, 7), VEO_FAST: date(2026, 12, 7),
                               VEO_QUALITY: date(2026, 12, 7)}
    assert catalog.retired_on(VEO_FAST) == date(2026, 12, 7)
    assert catalog.retired_on(VEO_LITE) is None and catalog.retired_on(OMNI_12) is None


def test_the_fallback_offer_drops_retired_models_from_their_day_on():
    assert catalog.models_for("pro", BEFORE) == (OMNI_12, OMNI, VEO_LITE, VEO_FAST, VEO_QUALITY)
    for now in (ON, AFTER):
        assert catalog.models_for("pro", now) == (OMNI_12, VEO_LITE)
        assert catalog.models_for("ultra", now) == (OMNI_12, VEO_LITE)
    assert not catalog.gone(VEO_FAST, "pro", BEFORE)
    assert catalog.gone(VEO_FAST, "pro", ON) and catalog.gone(OMNI, "ultra", AFTER)
    # Never on the plan is a plan change, not a retirement; an offered model is not gone.
    assert not catalog.gone(VEO_FAST, "free", AFTER)
    assert not catalog.gone(VEO_LITE, "pro", AFTER) and not catalog.gone("Veo 9", "pro", AFTER)
    # Their knowledge stays: held work and October's clips are still priced.
    assert catalog.credits_per_output(VEO_FAST, "pro", 8, "720p") == 20


def test_the_day_comes_from_the_injected_clock_where_there_is_one(clock):
    clock.set(BEFORE)
    catalog.set_clock(clock)
    assert VEO_FAST in catalog.models_for("pro")
    clock.set(AFTER)
    assert VEO_FAST not in catalog.models_for("pro")
    assert catalog.today() == date(2027, 1, 15)


@pytest.mark.parametrize("model, plan, nearest", [
    (VEO_FAST, "pro", VEO_LITE), (VEO_QUALITY, "ultra", VEO_LITE), (OMNI, "pro", OMNI_12),
    (OMNI, "ultra", OMNI_12), (VEO_FAST, "free", OMNI_12)])
def test_nearest_names_the_model_to_offer_instead(model, plan, nearest):
    assert catalog.nearest(model, plan, AFTER) == nearest


def test_default_model_follows_what_the_account_offers():
    assert catalog.DEFAULT_MODEL == VEO_LITE
    assert catalog.default_model("pro", AFTER) == VEO_LITE
    assert catalog.default_model("pro", AFTER, preferred=OMNI_12) == OMNI_12
    assert catalog.default_model("pro", AFTER, preferred=VEO_FAST) == VEO_LITE  # retired
    assert catalog.default_model("pro", BEFORE, preferred=VEO_FAST) == VEO_FAST
    assert catalog.default_model("free", AFTER, preferred=VEO_LITE) == OMNI_12
    assert catalog.normalise(VEO_LITE, "pro", 10, "360p") == (8, "720p")
    assert catalog.normalise(OMNI_12, "pro", 13, "360p") == (13, "360p")
    assert catalog.normalise(OMNI_12, "free", 13, None) == (8, "720p")


# -- the learned catalogue ----------------------------------------------------------------------

def test_an_october_survey_learns_october_and_keeps_its_quotes_as_known_prices():
    learned = learned_from_survey(october_baseline("pro"))
    assert learned.plan == "pro" and learned.build == "october-sim"
    assert learned.taken_on == date(2026, 12, 7)
    assert learned.models == (OMNI, VEO_LITE, VEO_FAST, VEO_QUALITY)
    fast = learned.offer(VEO_FAST, "pro")
    # No duration or resolution row on Pro: Veo's single values, from our knowledge.
    assert (fast.durations, fast.resolutions, fast.prices) == ((8,), ("720p",), {(8, "720p"): 20})
    assert fast.known == {(8, "720p")}
    omni = learned.offer(OMNI, "pro")
    assert omni.durations == (4, 6, 8, 10) and omni.duration_range is None
    assert omni.price(6, "360p") == 5 and omni.known == frozenset(omni.prices)
    assert learned.offer(VEO_FAST, "ultra") is None  # it speaks for its own plan only


def test_a_learned_catalogue_that_lists_retired_models_wins():
    catalog.install(learned_from_survey(october_baseline("pro")))
    assert catalog.is_learned("pro") and not catalog.is_learned("ultra")
    assert catalog.models_for("pro", AFTER) == (OMNI, VEO_LITE, VEO_FAST, VEO_QUALITY)
    assert not catalog.gone(VEO_FAST, "pro", AFTER)
    assert catalog.models_for("ultra", AFTER) == (OMNI_12, VEO_LITE)  # no survey of Ultra


def test_a_survey_taken_before_a_retirement_does_not_keep_the_model_after_it():
    catalog.install(learned_from_survey(october_baseline("pro", "2026-12-01T08:00:00+00:00")))
    assert VEO_FAST in catalog.models_for("pro", BEFORE)
    assert catalog.models_for("pro", AFTER) == (VEO_LITE,)
    assert catalog.gone(VEO_FAST, "pro", AFTER)
    # Omni 1.2 was not on that page: the learned catalogue decides, so it is not offered.
    assert not catalog.is_offered(OMNI_12, "pro", AFTER)


def test_a_december_survey_learns_the_slider_and_prices_what_was_not_quoted_by_rule():
    learned = learned_from_survey(december_baseline("pro", **{"12s 720p x2": 84}))
    assert learned.build == "boq_labs-ai-sandbox-frontend_20261207"
    omni = learned.offer(OMNI_12, "pro")
    assert omni.duration_range == (3, 15) and omni.durations == tuple(range(3, 16))
    assert omni.end_frame_max == 10
    quoted = {(8, "720p"), (10, "720p"), (15, "720p"), (4, "360p"), (12, "720p")}
    assert omni.known == quoted  # the x2 quote counts, halved
    assert omni.price(12, "720p") == 42
    assert omni.price(13, "720p") == 48 and (13, "720p") not in omni.known  # by rule
    assert omni.price(13, "360p") == 16 and (13, "360p") not in omni.known
    lite = learned.offer(VEO_LITE, "pro")
    assert lite.prices == {(8, "720p"): 10} and lite.known == {(8, "720p")}
    catalog.install(learned)
    assert catalog.models_for("pro", AFTER) == (OMNI_12, VEO_LITE)
    assert catalog.gone(VEO_FAST, "pro", AFTER) and catalog.gone(OMNI, "pro", AFTER)
    assert catalog.credits_per_output(OMNI_12, "pro", 12, "720p") == 42
    assert catalog.is_known_price(OMNI_12, "pro", 12, "720p")


def test_a_live_quote_that_differs_from_our_rule_wins():
    learned = learned_from_survey(december_baseline("ultra", **{"8s 720p x1": 20}))
    catalog.install(learned)
    assert catalog.credits_per_output(OMNI_12, "ultra", 8, "720p") == 20
    ultra_lite = learned.offer(VEO_LITE, "ultra")
    assert ultra_lite.durations == (4, 6, 8) and ultra_lite.price(4, "720p") == 5


def test_a_free_survey_offers_omni_12_up_to_10_s():
    catalog.install(learned_from_survey(december_baseline("free")))
    assert catalog.models_for("free", AFTER) == (OMNI_12,)
    assert catalog.offer(OMNI_12, "free").duration_range == (3, 10)


def test_a_model_the_driver_has_no_name_for_is_kept_but_offered_to_nobody():
    baseline = december_baseline("pro")
    baseline["labels"]["models"].append("Omni 1.3 Flash")
    baseline["options"]["Omni 1.3 Flash"] = {"duration_range": [3, 20], "resolutions": ["720p"]}
    baseline["prices"]["Omni 1.3 Flash"] = {"10s 720p x1": 50}
    learned = learned_from_survey(baseline)
    assert learned.unknown_models == ("Omni 1.3 Flash",)
    assert learned.offer("Omni 1.3 Flash", "pro").price(4, "720p") == 20  # per second of a quote
    catalog.install(learned)
    assert "Omni 1.3 Flash" not in catalog.models_for("pro", AFTER)


@pytest.mark.parametrize("odd", [
    {}, {"plan": 7, "options": [], "prices": "x"},
    {"plan": "pro", "options": {"Veo 3.1 - Lite": "nope", "Omni 1.2 Flash": {"duration_range":
                                                                           [15, 3]}},
     "prices": {"Omni 1.2 Flash": {"8s 720p x1": "24", "zz": 3, "8s 720p x3": 10}}},
])
def test_odd_baselines_give_a_catalogue_without_raising(odd):
    learned = learned_from_survey(odd)
    assert learned.plan in (None, "pro")
    for o in learned.offers.values():
        assert o.prices


async def test_the_store_keeps_the_newest_catalogue_with_its_date_and_build(db):
    store = CatalogStore(db)
    assert await store.load() is None
    first = await catalog.learn(october_baseline("pro"), store)
    assert catalog.installed() is first
    second = await catalog.learn(december_baseline("ultra"), db)  # a Database works too
    assert catalog.installed() is second
    loaded = await store.load()
    assert (loaded.plan, loaded.build, loaded.taken_at) == (second.plan, second.build,
                                                            second.taken_at)
    assert loaded.models == second.models and loaded.offers == second.offers
    from bot.storage import repo
    assert await repo.plan_read(db, "pro") == "ultra"  # the plan the page showed

    catalog.install(None)
    assert await catalog_learned.load_installed(db) is not None
    assert catalog.installed().offers == second.offers


async def test_start_up_without_a_stored_catalogue_leaves_the_fallback(db, clock):
    assert await catalog_learned.load_installed(db, clock) is None
    assert catalog.installed() is None
    assert catalog.today() == catalog.today(clock.now())
