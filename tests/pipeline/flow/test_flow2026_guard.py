"""The money guard and the account-level refusals on flowsim's flow2026 variant: each refusal
happens before the click, so `sim.wire()` holds no submit at all."""

from __future__ import annotations

import pytest

from bot.errors import (
    AgentOnlyError,
    InsufficientCreditsError,
    OverCapError,
    SessionExpiredError,
    UnusualActivityError,
    UploadMinorError,
    UploadTermsError,
    WrongAccountError,
)
from bot.pipeline.flow.api import GenerationRequest

from .flow2026 import QUIET, late_modal_script, png, submits


def i2v(image, prompt="a kite over dunes", **kw) -> GenerationRequest:
    return GenerationRequest(image, prompt, "9:16", kw.pop("outputs", 1), kw.pop("model", "Veo 3.1 - Fast"),
                             **kw)


async def test_over_cap_refused_before_the_click(make26, sim, tmp_path):
    await sim.configure(**QUIET)
    client = await make26(max_credits_per_item=30)
    with pytest.raises(OverCapError):
        await client.submit(i2v(png(tmp_path / "s.png"), outputs=2))  # 2 x 20 = 40 > 30
    with pytest.raises(OverCapError):  # the request's own cap is lower still
        await client.submit(i2v(png(tmp_path / "s.png"), max_credits=15))
    assert submits(await sim.wire()) == []
    assert (await sim.counters())["credits_spent"] == 0


async def test_insufficient_credits_refused_before_the_click(make26, sim):
    await sim.configure(**QUIET, credits=5)
    client = await make26()
    with pytest.raises(InsufficientCreditsError):
        await client.submit(GenerationRequest(None, "a quiet harbour", "16:9", 1, "Veo 3.1 - Fast"))
    assert submits(await sim.wire()) == []


async def test_agent_chip_is_turned_off_before_submitting(make26, sim, tmp_path):
    await sim.configure(**QUIET, agent_chip=True)
    client = await make26()
    handle = await client.submit(i2v(png(tmp_path / "s.png")))
    [entry] = submits(await sim.wire())
    assert entry["kind"] == "i2v" and entry["refused"] is None and len(handle.tile_ids) == 1


async def test_agent_only_account_pauses_without_a_click(make26, sim, tmp_path):
    await sim.configure(**QUIET, agent_only=True)
    client = await make26()
    with pytest.raises(AgentOnlyError) as info:
        await client.submit(i2v(png(tmp_path / "s.png")))
    assert info.value.error_class == "paused"
    assert submits(await sim.wire()) == [] and await sim.uploads() == []


async def test_upload_terms_not_accepted_pauses_and_says_what_to_do(make26, sim, tmp_path):
    await sim.configure(**{**QUIET, "upload_consent": True})
    client = await make26()  # FLOW_ACCEPT_UPLOAD_TERMS defaults to false
    with pytest.raises(UploadTermsError) as info:
        await client.submit(i2v(png(tmp_path / "s.png")))
    assert "FLOW_ACCEPT_UPLOAD_TERMS=true" in str(info.value)
    assert submits(await sim.wire()) == [] and await sim.uploads() == []
    assert not (await sim.consent()).get("accepted")


async def test_upload_terms_accepted_when_the_admin_allows(make26, sim, tmp_path):
    await sim.configure(**{**QUIET, "upload_consent": True})
    client = await make26(accept_upload_terms=True)
    await client.submit(i2v(png(tmp_path / "s.png")))
    [entry] = submits(await sim.wire())
    assert entry["kind"] == "i2v" and (await sim.consent()).get("accepted")


# A first-visit modal that opens late, over the rights dialog (its dark backdrop on top of the
# dialog's button), as Flow's changelog does when it lands after the page settled.
_LATE_MODAL_OVER_CONSENT = late_modal_script("""
  const obs = new MutationObserver(() => {
    if (!document.querySelector("flow-upload-consent-dialog")) return;
    obs.disconnect();
    open();
  });
  obs.observe(document, {childList: true, subtree: true});""")


async def test_rights_dialog_agree_waited_out_a_late_modal_over_it(make26, sim, tmp_path):
    """Regression (full run): a first-visit modal opened over the upload rights dialog; the
    driver's plain click on "I agree" waited 15 s for the backdrop to go and the submit failed.
    It now closes what covers the button first, and still agrees only to the rights dialog."""
    await sim.configure(**{**QUIET, "upload_consent": True})
    client = await make26(accept_upload_terms=True)
    page = await client.session.page()
    await page.add_init_script(_LATE_MODAL_OVER_CONSENT)
    await client.submit(i2v(png(tmp_path / "s.png")))
    [entry] = submits(await sim.wire())
    assert entry["kind"] == "i2v" and (await sim.consent()).get("accepted")
    assert await page.locator("mat-dialog-container.late-modal").count() == 0


async def test_upload_refused_as_a_minor_is_final_with_a_plain_reason(make26, sim, tmp_path):
    await sim.configure(**QUIET)
    client = await make26()
    with pytest.raises(UploadMinorError) as info:
        await client.submit(i2v(png(tmp_path / "m.png", (255, 0, 255), plain=True)))
    assert info.value.error_class == "final" and "child" in info.value.user_reason
    assert submits(await sim.wire()) == []


async def test_unusual_activity_cleared_by_reload_and_retry(make26, sim, tmp_path):
    # Flow clears it once the page was reloaded and some seconds passed since the refusal.
    await sim.configure(**QUIET, unusual_activity=2, unusual_clear_seconds=0.3)
    client = await make26(unusual_activity_retries=3, unusual_activity_wait_s=0.4)
    handle = await client.submit(i2v(png(tmp_path / "s.png")))
    entries = submits(await sim.wire())
    assert [e["refused"] for e in entries] == ["unusual_activity", "unusual_activity", None]
    assert len(await sim.uploads()) == 1  # the frame is uploaded once, reused after reloads
    assert len(handle.tile_ids) == 1 and entries[-1]["kind"] == "i2v"


async def test_unusual_activity_gives_up_and_pauses(make26, sim, tmp_path):
    await sim.configure(**QUIET, unusual_activity=5)
    client = await make26(unusual_activity_retries=1)
    with pytest.raises(UnusualActivityError) as info:
        await client.submit(i2v(png(tmp_path / "s.png")))
    assert info.value.error_class == "paused"
    entries = submits(await sim.wire())
    assert len(entries) == 2 and all(e["refused"] == "unusual_activity" for e in entries)
    assert (await sim.counters())["credits_spent"] == 0


async def test_session_expired_is_seen_on_the_about_page(make26, sim, tmp_path):
    await sim.configure(**QUIET)
    client = await make26()
    await sim.expire_session()
    with pytest.raises(SessionExpiredError):
        await client.submit(i2v(png(tmp_path / "s.png")))
    info = await client.check_session()
    assert not info.signed_in and "/about" in info.detail


async def test_foreign_project_is_a_wrong_account(make26, sim, flowsim_url):
    await sim.configure(**QUIET)
    client = await make26()
    from bot.pipeline.flow.api import FlowHandle

    foreign = FlowHandle(f"{flowsim_url}/project/{await sim.foreign_project()}", ("x",), 0.0, "p")
    with pytest.raises(WrongAccountError):
        await client.poll(foreign)


async def test_check_session_reads_credits_and_plan(make26, sim):
    await sim.configure(**QUIET, credits=321)
    client = await make26()
    info = await client.check_session()
    assert info.signed_in and info.credits == 321 and info.extra["plan"] == "pro"
    assert info.extra["ui"] == "flow2026"
