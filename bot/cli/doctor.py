"""`flowbot doctor`: check settings, database, FFmpeg and Chromium."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check settings, database, ffmpeg and chromium")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.doctor import doctor, format_table

    rows, code = doctor(args.env_file)
    print(format_table(rows))
    return code
