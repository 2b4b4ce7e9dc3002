"""`flowbot serve`: run the Telegram bot with its pipeline."""

from __future__ import annotations

import argparse
import asyncio


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the Telegram bot")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.app import serve
    from bot.config import load_settings

    settings = load_settings(args.env_file)
    settings.require_bot_token()
    asyncio.run(serve(settings))
    return 0
