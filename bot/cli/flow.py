"""`flowbot flow check|survey|wire`: look at Flow's page without spending anything.

`check [--url URL]` reports which selector matches each Flow UI element. Exit codes: 0 every
element matched its primary selector; 3 all matched but some only through a fallback (the UI
drifted; the driver copes); 1 some element matched nothing (fix the selector registry).

`survey [--url URL] [--dir DIR] [--against FILE]` writes a baseline of the current build
(labels, option matrix per model, the live price of every combination, element counts) to
`<data dir>/flow-survey/` and prints what changed since the previous baseline. Exit codes: 0
first baseline or nothing changed; 3 something changed; 1 the walk failed.

`wire FILE [--json]` reads captured batchexecute exchanges (JSON lines or a HAR file) the way the
driver does (`bot/cli/flow_wire.py`). Exit codes: 0 all read; 1 a submit, poll, upload or media
exchange could not be read; 2 the file cannot be read.

`check` and `survey` use the configured browser mode (headless, headed on Xvfb, or the user's
Chrome over FLOW_CDP_URL, in which only our own page is opened and closed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("flow", help="Google Flow driver tools")
    flow_sub = p.add_subparsers(dest="flow_command", metavar="ACTION")
    c = flow_sub.add_parser("check", help="check every UI selector against the live app")
    c.add_argument("--url", help="Flow app or project URL (default: FLOW_BASE_URL; with "
                                 "FLOW_BACKEND=simulator a fresh local flowsim)")
    c.add_argument("--session", type=Path, help="storage_state file (default: the configured one)")
    c.set_defaults(func=run_check_cmd)
    s = flow_sub.add_parser("survey", help="write a baseline of Flow's current build (labels, "
                                           "options, prices, elements) and diff it; spends nothing")
    s.add_argument("--url", help="Flow app or project URL (default: FLOW_BASE_URL; with "
                                 "FLOW_BACKEND=simulator a fresh local flowsim)")
    s.add_argument("--session", type=Path, help="storage_state file (default: the configured one)")
    s.add_argument("--dir", type=Path, help="where baselines are kept (default: <data dir>/flow-survey)")
    s.add_argument("--against", type=Path, help="compare with this baseline instead of the newest")
    s.set_defaults(func=run_survey_cmd)
    from bot.cli import flow_wire

    flow_wire.register(flow_sub)  # `flowbot flow wire FILE`: read captured exchanges
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_check_cmd(args: argparse.Namespace) -> int:
    from bot.config import load_settings

    settings = load_settings(args.env_file)
    return asyncio.run(_check(settings, args.url, args.session))


@asynccontextmanager
async def flow_page(settings, url: str | None, session: Path | None) -> AsyncIterator[tuple]:
    """(page, url): a page on Flow in the configured browser mode, signed in with the session
    file (or, attached over CDP, with the user's own Chrome). Everything we opened is closed."""
    from bot.browser import browser_for
    from bot.logsafe import register_secret
    from bot.pipeline.flow.session import VIEWPORT

    session_file = session or settings.session_file
    sim = None
    if url is None and settings.flow.backend == "simulator":
        from bot.pipeline.flow.simulator import start_simulator

        # Its own session file: a real Google session must never be overwritten.
        session_file = session or settings.paths.data_dir / "flowsim_session.json"
        sim = await start_simulator(settings.flow, session_file)
        url = sim.base_url
    url = url or settings.flow.base_url
    try:
        async with browser_for(settings.flow) as opened:
            if opened.context is not None:  # the user's Chrome: its own session, our own page
                page = opened.track_page(await opened.context.new_page())
                await page.set_viewport_size(VIEWPORT)
                yield page, url
                return
            state = None
            if session_file.exists():
                state = json.loads(session_file.read_text())
                for cookie in state.get("cookies", []):
                    register_secret(cookie.get("value"))
            context = await opened.browser.new_context(storage_state=state, viewport=VIEWPORT)
            try:
                yield await context.new_page(), url
            finally:
                await context.close()
    finally:
        if sim is not None:
            await sim.stop()


async def _check(settings, url: str | None, session: Path | None) -> int:
    from bot.errors import FlowError
    from bot.pipeline.flow.check import exit_code, format_results, run_check

    try:
        async with flow_page(settings, url, session) as (page, url):
            results = await run_check(page, url, timeout=settings.flow.step_timeout_s)
    except FlowError as err:
        print(f"flow check of {url or settings.flow.base_url} stopped: {err} ({err.code})")
        return 1
    print(f"flow check of {url}")
    print(format_results(results))
    return exit_code(results)


def run_survey_cmd(args: argparse.Namespace) -> int:
    from bot.config import load_settings

    settings = load_settings(args.env_file)
    return asyncio.run(_survey(settings, args.url, args.session, args.dir, args.against))


async def _survey(settings, url: str | None, session: Path | None, folder: Path | None,
                  against: Path | None) -> int:
    from bot.errors import FlowError
    from bot.pipeline.flow import survey
    from bot.pipeline.flow.locate import NotFound

    folder = folder or settings.paths.data_dir / "flow-survey"
    try:
        previous_path = against or survey.latest(folder)
        previous = survey.load(previous_path) if previous_path is not None else None
    except ValueError as err:
        print(f"flow survey: {err}")
        return 1
    try:
        async with flow_page(settings, url, session) as (page, url):
            baseline = await survey.survey_page(page, url, settings.flow)
    except (FlowError, NotFound, ValueError) as err:
        print(f"flow survey of {url or settings.flow.base_url} stopped: {err}")
        return 1
    saved = survey.save(folder, baseline)
    models = baseline["options"]
    combos = sum(len(p) for p in baseline["prices"].values())
    print(f"flow survey of {baseline['url']} ({baseline['generation']}, lang {baseline['lang'] or '?'}, "
          f"plan {baseline['plan'] or '?'}): {len(models)} models, {combos} priced combinations")
    print(f"baseline: {saved}")
    if previous is None:
        print("first baseline: nothing to compare with")
        return 0
    changes = survey.diff(previous, baseline)
    if not changes:
        print(f"no change since {previous_path.name}")  # type: ignore[union-attr]
        return 0
    print(f"{len(changes)} change(s) since {previous_path.name}:")  # type: ignore[union-attr]
    for line in changes:
        print(f"  {line}")
    return 3
