"""The flow2026 page sends Flow's REAL requests: every batchexecute call it makes (listened to in
Chromium) decodes with the driver's readers (`batchexecute.parse_request`,
`flow2026.wire.read_submit_request`) to the right kind, model key, refs, project id and client
request id; the query, headers and `at` are the real ones; the project page lists (Zzl0ze),
then polls only what it waits for, and asks as29s one id per call."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import Page, expect

from bot.pipeline.flow import batchexecute as bx
from bot.pipeline.flow.ui.flow2026 import wire as W
from flowsim.v2026 import wire
from tests.flowsim.pages2026 import (
    QUIET,
    bind_start,
    choose_frames,
    editor,
    generate_button,
    make_png,
    new_project,
    open_context,
    type_prompt,
    upload,
    wait_submits,
)
from tests.flowsim.test_2026_pages import boot_of

# Written against Flow's October build (Omni 1.1 Flash, Veo 3.1 - Fast/Quality, their keys and
# prices): pinned to it; December is flowsim's default (test_2026_december*.py).
pytestmark = pytest.mark.flowsim_build("october")

QUERY = ("rpcids", "source-path", "bl", "f.sid", "hl", "_reqid", "rt")


@dataclass
class Sent:
    """One batchexecute request as Chromium sent it."""

    query: dict[str, str]
    headers: dict[str, str]
    body: str

    @property
    def call(self) -> bx.Call:
        [call] = bx.parse_request(self.body)
        return call

    @property
    def rpc(self) -> str:
        return self.query["rpcids"]


def listen(page: Page) -> list[Sent]:
    """Every batchexecute request the page sends from now on."""
    sent: list[Sent] = []

    def on_request(request) -> None:
        if wire.PATH in request.url and request.method == "POST":
            query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query,
                                                   keep_blank_values=True).items()}
            sent.append(Sent(query, dict(request.headers), request.post_data or ""))

    page.on("request", on_request)
    return sent


async def pick(page: Page, name: str) -> None:
    picker = page.locator("flow-add-menu-popover-content")
    await picker.locator("button.asset-item[role=option]").filter(has_text=name).click()
    await expect(picker).to_have_count(0)


async def test_page_requests_decode_with_the_drivers_reader(chromium, sim, flowsim_url,
                                                            tmp_path):
    await sim.configure(**{**QUIET, "generation_seconds": 1.0})
    context, page = await open_context(chromium, sim)
    sent = listen(page)
    url = await new_project(page, flowsim_url, changelog=False)
    project = url.rsplit("/", 1)[1]
    boot = boot_of(await (await context.request.get(url)).text())

    # The load: the listing of this project, first.
    for _ in range(100):
        if any(s.rpc == "Zzl0ze" for s in sent):
            break
        await page.wait_for_timeout(50)
    listing = next(s for s in sent if s.rpc == "Zzl0ze")
    assert listing.call.payload == [f"projects/{project}", None, None, None, [1]]

    # Real query, headers and `at` on every call.
    for s in sent:
        assert set(QUERY) <= set(s.query), s.query
        assert s.query["source-path"] in ("/", f"/project/{project}")  # home, then project
        assert (s.query["bl"], s.query["rt"], s.query["hl"]) == (
            wire.BUILD_LABELS["october"], "c", "en")
        assert re.fullmatch(r"-?\d{19}", s.query["f.sid"]) and s.query["_reqid"].isdigit()
        assert s.headers.get("x-same-domain") == "1"
        assert s.headers["content-type"].startswith("application/x-www-form-urlencoded")
        assert parse_qs(s.body)["at"] == [boot["at"]] and s.body.endswith("&")

    # Uploads: the file name at its position, the project in the ctx.
    await upload(page, make_png(tmp_path / "hero-21.png", (200, 60, 60)))
    await upload(page, make_png(tmp_path / "place-21.png", (60, 200, 60)), rights=False)
    for name in ("hero-21.png", "place-21.png"):
        await expect(page.locator(f"img[data-media-id][alt='{name}']")).to_have_count(1)
    ids = {u["fileName"]: u["mediaId"] for u in await sim.uploads()}
    ups = [s.call.payload for s in sent if s.rpc == "maseQ"]
    assert [W.upload_file_name(p) for p in ups] == ["hero-21.png", "place-21.png"]
    assert {p[0][5] for p in ups} == {project} and {p[2] for p in ups} == {"image/png"}

    # 1. Text-to-video (Ingredients mode without any reference).
    await type_prompt(page, "a quiet harbour at dawn")
    await generate_button(page).click()
    await wait_submits(sim, 1)
    # 2. Ingredients: a chip and an @ mention.
    await page.get_by_role("button", name="Add ingredients to the prompt box").click()
    await pick(page, "hero-21.png")
    await editor(page).click()
    await page.keyboard.press("Control+a")
    await page.keyboard.press("Backspace")
    await page.keyboard.insert_text("she walks into ")
    await page.keyboard.type("@")
    await pick(page, "place-21.png")
    await page.keyboard.insert_text("at dusk")
    await generate_button(page).click()
    await wait_submits(sim, 2)
    # 3. Frames: a start frame.
    await choose_frames(page)
    await bind_start(page, "hero-21.png")
    await type_prompt(page, "the hero turns around")
    await generate_button(page).click()
    wire_log = await wait_submits(sim, 3)

    submits = [s for s in sent if s.rpc in W.SUBMIT_KINDS]
    assert [s.rpc for s in submits] == ["YhhmEf", "MZZa6b", "eb1hJf"]
    asked = [W.read_submit_request(s.rpc, s.call.payload) for s in submits]
    assert [(a.kind, a.model_key, a.refs, a.project_id, a.unreadable) for a in asked] == [
        ("t2v", "abra_t2v_8s", ((),), project, None),
        ("ingredients", "abra_r2v_8s", ((ids["hero-21.png"], ids["place-21.png"]),), project,
         None),
        ("i2v", "abra_i2v_8s", ((ids["hero-21.png"],),), project, None),
    ]
    assert asked[1].prompts == ("she walks into place-21.png at dusk",)
    runs = bx.at(submits[1].call.payload, (0, 0, 0, *W.RICH_PROMPT_RUNS))
    assert runs == [["she walks into "], [None, [[ids["place-21.png"], "place-21.png"]]],
                    [" at dusk"]]
    # The client request id is the page's own, the server's and the reply's.
    assert [a.client_request_id for a in asked] == [e["client_request_id"] for e in wire_log]
    assert all(re.fullmatch(r"[0-9a-f-]{36}", a.client_request_id) for a in asked)
    for s in submits:
        assert s.call.payload[2][1] == 2  # a page submit (3: the agent composer)
        assert not s.call.payload[1][10][0].startswith("untrusted-")  # a trusted click
    assert [e["refused"] for e in wire_log] == [None, None, None]

    # Polls ask only for known clips, as29s one id per call; a reload lists and polls again.
    await expect(page.locator("flow-video-tile img.thumbnail")).to_have_count(3, timeout=90_000)
    tiles = {t["tile_id"] for t in await sim.tiles()}
    polls = [W.poll_ids(s.call.payload) for s in sent if s.rpc == "jwpduf"]
    assert polls and all(ids_ and set(ids_) <= tiles for ids_ in polls)
    media = [s.call.payload for s in sent if s.rpc == "as29s"]
    assert sorted(p[0] for p in media) == sorted(tiles) and all(len(p) == 1 for p in media)
    before = len(sent)
    await page.reload()
    await expect(page.locator("flow-video-tile img.thumbnail")).to_have_count(3, timeout=30_000)
    after = [s for s in sent[before:] if s.rpc in ("Zzl0ze", "jwpduf")]
    # The old page's idle re-list may still be on its way as the reload starts: the new page's
    # first poll must follow a listing and ask for every listed id at once.
    first_poll = next(i for i, s in enumerate(after) if s.rpc == "jwpduf")
    assert first_poll > 0 and after[first_poll - 1].rpc == "Zzl0ze"
    assert set(W.poll_ids(after[first_poll].call.payload)) == tiles  # every listed id, polled once
    await context.close()


async def test_agent_and_untrusted_submits_say_so_on_the_wire(chromium, sim, flowsim_url):
    await sim.configure(**QUIET)
    context, page = await open_context(chromium, sim)
    sent = listen(page)
    await new_project(page, flowsim_url, changelog=False)
    await type_prompt(page, "a fox in the snow")
    await expect(generate_button(page)).to_be_enabled()
    await generate_button(page).evaluate("b => b.click()")  # an untrusted click
    await expect(page.locator("mat-snack-bar-container")).to_contain_text("unusual activity")
    await sim.configure(unusual_activity=0, agent_chip=True)  # the lock cleared; Agent on
    await page.reload()
    await expect(page.locator("flow-creative-agent-prompt-box")).to_have_count(1)
    await type_prompt(page, "an agent-planned clip")
    await generate_button(page).click()
    [refused, entry] = await wait_submits(sim, 2)
    [untrusted, agent] = [s for s in sent if s.rpc == "YhhmEf"]
    # The untrusted click: its reCAPTCHA token says so, and the server refuses it.
    assert untrusted.call.payload[1][10][0].startswith("untrusted-")
    assert W.read_submit_request("YhhmEf", untrusted.call.payload).model_key == "abra_t2v_8s"
    assert (refused["trusted"], refused["refused"]) == (False, "unusual_activity")
    # The agent composer's submit: [client request id, 3].
    assert agent.call.payload[2] == [entry["client_request_id"], 3]
    assert not agent.call.payload[1][10][0].startswith("untrusted-")
    assert (entry["agent"], entry["trusted"], entry["refused"]) == (True, True, None)
    await context.close()
