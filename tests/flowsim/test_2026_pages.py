"""flow2026 addresses: 308s from the classic paths, `/about` for signed-out and expired
visits, a foreign project's `/404?reason=project`, the language, and the boot data."""

from __future__ import annotations

import json
import re

import aiohttp
import pytest

# Written against Flow's October build (Omni 1.1 Flash, Veo 3.1 - Fast/Quality, their keys and
# prices): pinned to it; December is flowsim's default (test_2026_december*.py).
pytestmark = pytest.mark.flowsim_build("october")


def boot_of(html: str) -> dict:
    """The boot JSON the server put into the page."""
    match = re.search(r"<script>window.__FLOWSIM__ = (.*?);</script>", html, re.S)
    assert match, html[:300]
    return json.loads(match.group(1).replace("<\\/", "</"))


def html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


async def test_classic_paths_answer_308_to_the_new_ones(flow, sim, flowsim_url, cookie_http):
    project = await flow.new_project()
    for old, new in [("/fx/tools/flow", "/"), ("/fx/tools/flow/", "/"),
                     (f"/fx/tools/flow/project/{project}?hl=vi", f"/project/{project}?hl=vi")]:
        async with cookie_http.get(flowsim_url + old, allow_redirects=False) as resp:
            assert (resp.status, resp.headers["Location"]) == (308, new)
    # Signed out too (the real site redirects before it asks who you are), and a classic
    # project id the account does not have lands on the new site's 404.
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(f"{flowsim_url}/fx/tools/flow", allow_redirects=False) as resp:
            assert (resp.status, resp.headers["Location"]) == (308, "/")
    unknown = "00000000-0000-0000-0000-000000000000"
    async with cookie_http.get(f"{flowsim_url}/fx/tools/flow/project/{unknown}") as resp:
        assert resp.status == 404 and resp.url.path == f"/project/{unknown}"


async def test_signed_out_and_expired_visits_land_on_about(flow, sim, flowsim_url, cookie_http):
    project = await flow.new_project()
    async with aiohttp.ClientSession() as anonymous:
        for path in ("/", f"/project/{project}"):
            async with anonymous.get(flowsim_url + path, allow_redirects=False) as resp:
                assert (resp.status, resp.headers["Location"]) == (302, "/about")
        async with anonymous.get(f"{flowsim_url}/about") as resp:
            about = boot_of(await resp.text())
            assert (resp.status, about["page"]) == (200, "about")
            assert about["signInUrl"].startswith("/accounts.google.com/")
    await sim.expire_session()
    async with cookie_http.get(f"{flowsim_url}/project/{project}", allow_redirects=False) as resp:
        assert (resp.status, resp.headers["Location"]) == (302, "/about")
    status, text = await flow.send("Zzl0ze", [f"projects/{project}", None, None, None, [1]])
    assert (status, json.loads(text)) == (401, {"redirect": "/about"})
    await sim.restore_session()
    async with cookie_http.get(f"{flowsim_url}/project/{project}", allow_redirects=False) as resp:
        assert resp.status == 200


async def test_foreign_project_goes_to_404_reason_project(flow, sim, flowsim_url, cookie_http):
    foreign = await sim.foreign_project()
    async with cookie_http.get(f"{flowsim_url}/project/{foreign}", allow_redirects=False) as resp:
        assert (resp.status, resp.headers["Location"]) == (302, "/404?reason=project")
    async with cookie_http.get(f"{flowsim_url}/404?reason=project") as resp:
        assert resp.status == 404
    unknown = "11111111-2222-3333-4444-555555555555"
    async with cookie_http.get(f"{flowsim_url}/project/{unknown}", allow_redirects=False) as resp:
        assert resp.status == 404
    status, _ = await flow.send("Zzl0ze", [f"projects/{foreign}", None, None, None, [1]])
    assert status == 400


@pytest.mark.parametrize("query, accept, expected", [
    ("", None, "en"),
    ("?hl=vi", None, "vi"),
    ("", "ko-KR,ko;q=0.9,en;q=0.8", "ko"),
    ("", "fr-FR, vi;q=0.5, en;q=0.4", "vi"),
    ("?hl=en", "vi-VN,vi", "en"),
    ("?hl=de", "de-DE", "en"),
])
async def test_language_from_hl_then_accept_language(flow, flowsim_url, cookie_http, query,
                                                     accept, expected):
    project = await flow.new_project()
    headers = {"Accept-Language": accept} if accept else {}
    async with cookie_http.get(f"{flowsim_url}/project/{project}{query}", headers=headers) as r:
        html = await r.text()
    assert (html_lang(html), boot_of(html)["lang"]) == (expected, expected)


async def test_server_texts_follow_the_page_language(flow, sim):
    await sim.configure(unusual_activity=1)
    project = await flow.new_project()
    result = await flow.read("YhhmEf", flow.submit_payload(project), hl="vi")
    assert (result.reason, result.message) == (
        "PUBLIC_ERROR_UNUSUAL_ACTIVITY",
        "Chúng tôi nhận thấy một số hoạt động bất thường. Vui lòng thử lại sau.")
    assert (await sim.wire())[-1]["refused"] == "unusual_activity"


async def test_boot_data_of_a_fresh_account_and_remembered_choices(flow, sim, flowsim_url,
                                                                    cookie_http):
    project = await flow.new_project()

    async def boot() -> dict:
        async with cookie_http.get(f"{flowsim_url}/project/{project}") as resp:
            return boot_of(await resp.text())

    first = await boot()
    assert (first["page"], first["projectId"], first["variant"]) == ("project", project,
                                                                     "flow2026")
    assert first["models"] == ["Omni 1.1 Flash", "Veo 3.1 - Lite", "Veo 3.1 - Fast",
                               "Veo 3.1 - Quality"]
    assert first["defaultModel"] == "Omni 1.1 Flash"
    assert first["catalog"]["Omni 1.1 Flash"]["prices"]["6/720p"] == 10
    assert first["catalog"]["Veo 3.1 - Fast"]["durations"] == [8]
    assert first["account"] == {
        "name": "Flow Tester", "plan": "pro", "credits": 1000, "cookieBar": "consent",
        "agentPanel": True, "changelog": True, "agentChip": False, "agentOnly": False,
        "uploadConsent": True, "framesMode": "ingredients"}
    for what in ("cookie_bar", "agent_panel", "changelog"):
        await flow.call("Lm2sRd", {"op": "dismiss", "what": what})
    await flow.call("Lm2sRd", {"op": "agent_chip", "pressed": True})
    await flow.call("Lm2sRd", {"op": "frames_mode", "value": "frames"})
    after = (await boot())["account"]
    assert (after["cookieBar"], after["agentPanel"], after["changelog"], after["agentChip"],
            after["framesMode"]) == ("off", False, False, True, "frames")
    # Switching a trap on again re-arms it; a plan change changes the menu and prices.
    await sim.configure(cookie_bar="notice", plan="ultra", lower_priority_model=True,
                        remember_frames_mode=False)
    ultra = await boot()
    assert (ultra["account"]["cookieBar"], ultra["account"]["framesMode"]) == (
        "notice", "ingredients")
    assert ultra["catalog"]["Veo 3.1 - Fast"]["durations"] == [4, 6, 8]
    assert ultra["catalog"]["Veo 3.1 - Fast"]["prices"]["4/720p"] == 10
    assert "Veo 3.1 - Lite [Lower Priority]" not in ultra["models"]  # not seen on Ultra


async def test_edit_view_only_for_a_finished_clip(flow, sim, flowsim_url, cookie_http):
    await sim.configure(stuck_next=1)
    project = await flow.new_project()
    [op] = await flow.submitted("YhhmEf", project)
    url = f"{flowsim_url}/project/{project}/edit/{op}"
    async with cookie_http.get(url) as resp:
        assert resp.status == 404  # still pending


async def test_configure_checks_flow2026_names_all_or_nothing(sim):
    for bad in ({"plan": "plus"}, {"cookie_bar": True}, {"picker_mode": "hover"},
                {"blank_gap_ms": [500, 100]}, {"blank_gap_ms": [1, 2, 3]}, {"stuck_next": -1},
                {"upload_store_seconds": "1"}, {"unusual_activity": -2}, {"queue_limit": 1.5},
                {"plan": "ultra", "summary_lag_ms": None}):
        with pytest.raises(RuntimeError):
            await sim.configure(**bad)
    assert (await sim.config())["plan"] == "pro"  # the last call changed nothing at all
    config = await sim.configure(plan="ultra", upscale_1080_seconds=-1,
                                 unusual_activity=3, blank_gap_ms=[0, 0],
                                 upload_store_seconds=0, search_lag_seconds=2.5)
    assert (config["plan"], config["upscale_1080_seconds"], config["unusual_activity"]) == (
        "ultra", -1, 3)


async def test_project_ops_title_account_delete(flow, sim, flowsim_url, cookie_http):
    project = await flow.new_project()
    renamed = await flow.call("Lm2sRd", {"op": "set_title", "projectId": project,
                                         "title": "Launch teaser"})
    assert renamed == {"projectId": project, "title": "Launch teaser"}
    assert await flow.call("Lm2sRd", {"op": "account"}) == {"plan": "pro", "credits": 1000}
    await sim.configure(stuck_next=1)
    [busy] = await flow.submitted("YhhmEf", project)
    await sim.fail_next(1, "policy")
    [failed] = await flow.submitted("YhhmEf", project)
    await flow.wait(failed, {"failed"})
    status, _ = await flow.send("Lm2sRd", {"op": "delete_tile", "mediaId": busy})
    assert status == 400  # still in progress
    assert await flow.call("Lm2sRd", {"op": "delete_tile", "mediaId": failed}) == {"ok": True}
    assert list(await flow.project_clips(project)) == [busy]
    for bad in ({"op": "explode"}, {"op": "set_title", "projectId": project, "title": ""},
                {"op": "dismiss", "what": "everything"}, {"op": "agent_chip", "pressed": 1}):
        assert (await flow.send("Lm2sRd", bad))[0] == 400
    async with cookie_http.get(f"{flowsim_url}/project/{project}") as resp:
        assert "Launch teaser" in await resp.text()
    assert (await sim.counters())["page_loads"] == 1
