"""The one price and capability table against every row of FLOW_2026.md §11."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.pipeline import catalog
from bot.pipeline.catalog import OMNI, VEO_FAST, VEO_LITE, VEO_LITE_LOW, VEO_QUALITY

FLOW_2026 = Path("/work/shared/FLOW_2026.md")

# §11, transcribed row by row: (model, plan) -> {(seconds, resolution): credits per output}.
SECTION_11 = {
    (OMNI, "pro"): {(4, "360p"): 4, (6, "360p"): 5, (8, "360p"): 6, (10, "360p"): 7,
                    (4, "720p"): 7, (6, "720p"): 10, (8, "720p"): 12, (10, "720p"): 15},
    (VEO_LITE, "pro"): {(8, "720p"): 10},
    (VEO_LITE, "ultra"): {(4, "720p"): 5, (6, "720p"): 5, (8, "720p"): 5},
    (VEO_LITE_LOW, "pro"): {(4, "720p"): 0},
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


def test_omni_on_ultra_knows_only_the_one_price_seen():
    assert catalog.credits_per_output(OMNI, "ultra", 8, "720p") == 12
    assert catalog.is_known_price(OMNI, "ultra", 8, "720p")
    assert not catalog.is_known_price(OMNI, "ultra", 4, "360p")  # assumed from Pro


def test_lower_priority_lite_is_not_on_ultra_and_veo_has_no_360p():
    assert VEO_LITE_LOW not in catalog.models_for("ultra")
    with pytest.raises(catalog.UnknownOffer):
        catalog.offer(VEO_LITE_LOW, "ultra")
    for model in (VEO_LITE, VEO_FAST, VEO_QUALITY):
        with pytest.raises(catalog.UnknownOffer):
            catalog.credits_per_output(model, "ultra", 8, "360p")
        with pytest.raises(catalog.UnknownOffer):  # 4 s exists only on Ultra
            catalog.credits_per_output(model, "pro", 4, "720p")


def test_every_model_row_of_the_document_is_in_the_table():
    text = FLOW_2026.read_text(encoding="utf-8")
    section = text[text.index("## 11."):]
    names = re.findall(r"^\| (Omni[^|]*?|Veo[^|]*?) \|", section, flags=re.M)
    assert names, "the §11 table was not found"
    assert {n.strip() for n in names} == set(catalog.MODELS)


def test_our_default_is_explicit_and_never_flows_own():
    assert catalog.DEFAULT_MODEL == VEO_FAST != OMNI
    assert catalog.normalise(VEO_FAST, "pro", 10, "360p") == (8, "720p")
    assert catalog.normalise(OMNI, "pro", 6, "360p") == (6, "360p")


def test_estimate_multiplies_items_outputs_and_price():
    credits, seconds = catalog.estimate(3, 2, OMNI, "pro", 10, "360p", render_slots=5)
    assert credits == 3 * 2 * 7
    assert seconds > 0
    assert catalog.estimate(0, 2, VEO_FAST, "pro", 8, "720p", render_slots=5) == (0, 0.0)
    with pytest.raises(catalog.UnknownOffer):
        catalog.estimate(1, 1, VEO_FAST, "pro", 4, "720p", render_slots=5)


def test_longer_clips_and_slower_models_take_longer():
    assert catalog.render_seconds(OMNI, 10) > catalog.render_seconds(OMNI, 4)
    assert catalog.render_seconds(VEO_QUALITY, 8) > catalog.render_seconds(VEO_FAST, 8)
