"""`flowbot flow check [--url URL]`: report which selector matches each Flow UI element.

Exit codes: 0 every element matched its primary selector; 3 all matched but some only through
a fallback (the UI drifted; the driver copes); 1 some element matched nothing (fix
`bot/pipeline/flow/selectors.py`). Nothing is submitted and no credits are spent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("flow", help="Google Flow driver tools")
    flow_sub = p.add_subparsers(dest="flow_command", metavar="ACTION")
    c = flow_sub.add_parser("check", help="check every UI selector against the live app")
    c.add_argument("--url", help="Flow app or project URL (default: FLOW_BASE_URL; with "
                                 "FLOW_BACKEND=simulator a fresh local flowsim)")
    c.add_argument("--session", type=Path, help="storage_state file (default: the configured one)")
    c.set_defaults(func=run_check_cmd)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_check_cmd(args: argparse.Namespace) -> int:
    from bot.config import load_settings

    settings = load_settings(args.env_file)
    return asyncio.run(_check(settings, args.url, args.session))


async def _check(settings, url: str | None, session: Path | None) -> int:
    from bot.browser import launch_chromium
    from bot.logsafe import register_secret
    from bot.pipeline.flow.check import exit_code, format_results, run_check
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
    state = None
    if session_file.exists():
        state = json.loads(session_file.read_text())
        for cookie in state.get("cookies", []):
            register_secret(cookie.get("value"))
    from bot.errors import FlowError

    try:
        async with launch_chromium(settings.flow.chromium_path, headless=settings.flow.headless) as browser:
            context = await browser.new_context(storage_state=state, viewport=VIEWPORT)
            page = await context.new_page()
            results = await run_check(page, url, timeout=settings.flow.step_timeout_s)
            await context.close()
    except FlowError as err:
        print(f"flow check of {url} stopped: {err} ({err.code})")
        return 1
    finally:
        if sim is not None:
            await sim.stop()
    print(f"flow check of {url}")
    print(format_results(results))
    return exit_code(results)
