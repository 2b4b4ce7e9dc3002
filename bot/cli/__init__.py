"""The `flowbot` command line: one sub-command per module, each with `register(subparsers)`.

A sub-command module lives in `bot/cli/` and is listed in `COMMANDS`; it defines
`register(sub: argparse._SubParsersAction) -> None`, which adds its parser and sets
`func=<callable(args) -> int>` as the parser default.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from bot import __version__
from bot.errors import ConfigError, StoreError

COMMANDS = ["serve", "doctor", "flow", "upscale", "batch"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flowbot",
        description="Telegram bot that turns images and prompts into Veo videos via Google Flow.",
    )
    parser.add_argument("--version", action="version", version=f"flowbot {__version__}")
    parser.add_argument("--env-file", default=".env", help="settings file (default: .env)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"bot.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `flowbot` console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from bot.logsafe import install_redaction

    install_redaction()
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ConfigError, StoreError) as err:
        print(str(err), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
