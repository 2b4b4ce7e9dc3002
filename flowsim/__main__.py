"""`python -m flowsim --port N [--host H] [--generation-seconds S] [--build october|december]`:
serve the simulator of flow.google.com (Flow as users see it since September 2026; the retired
classic UI's addresses answer 308 to it)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
from pathlib import Path

from aiohttp import web

from flowsim.model import SimConfig
from flowsim.server import make_app
from flowsim.sim import Sim
from flowsim.v2026 import catalog

# The build a simulator plays when `--build` is not given (e.g. one that other code starts).
BUILD_ENV = "FLOWSIM_BUILD"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options of `python -m flowsim`."""
    p = argparse.ArgumentParser(prog="python -m flowsim", description=__doc__)
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--generation-seconds", type=float, default=None,
                   help="seconds per generation (default: 60-120 s, like Flow)")
    p.add_argument("--upscale-seconds", type=float, default=None)
    p.add_argument("--slots", type=int, default=5)
    p.add_argument("--credits", type=int, default=1000)
    p.add_argument("--plan", choices=list(catalog.PLANS), default="pro",
                   help="the account's plan (models, prices, durations, 4K)")
    p.add_argument("--build", choices=list(catalog.BUILDS),
                   default=os.environ.get(BUILD_ENV) or catalog.DEFAULT_BUILD,
                   help="which Flow build plays (default: $FLOWSIM_BUILD, else "
                        "december, after the model retirements of 2026-12-07; october: Omni 1.1, "
                        "Veo Fast/Quality)")
    p.add_argument("--seed", type=int, default=None, help="seed for durations and progress steps")
    p.add_argument("--media-dir", type=Path, default=None,
                   help="where clips are written (default: STATE_DIR/media or a temp dir)")
    p.add_argument("--state-dir", type=Path, default=None,
                   help="keep the account (projects, tiles, credits, media) here across restarts")
    args = p.parse_args(argv)
    if args.build not in catalog.BUILDS:
        p.error(f"${BUILD_ENV} must be one of {', '.join(catalog.BUILDS)}, not {args.build!r}")
    return args


async def serve(args: argparse.Namespace, media_dir: Path) -> None:
    """Serve until SIGINT/SIGTERM, announcing the URL on stdout once listening."""
    config = SimConfig(
        generation_seconds=args.generation_seconds, upscale_seconds=args.upscale_seconds,
        slots=args.slots, credits=args.credits, plan=args.plan, build=args.build,
    )
    state_file = args.state_dir / "flowsim-state.json" if args.state_dir else None
    sim = Sim(config, media_dir, seed=args.seed, state_file=state_file)
    runner = web.AppRunner(make_app(sim), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # the real port when --port 0
    print(f"flowsim listening on http://{args.host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Entry point: serve with media in `--media-dir`, `--state-dir`/media or a temp dir."""
    args = parse_args(argv)
    if args.state_dir:
        args.state_dir.mkdir(parents=True, exist_ok=True)
        args.media_dir = args.media_dir or args.state_dir / "media"
    if args.media_dir:
        args.media_dir.mkdir(parents=True, exist_ok=True)
        asyncio.run(serve(args, args.media_dir))
    else:
        with tempfile.TemporaryDirectory(prefix="flowsim-") as tmp:
            asyncio.run(serve(args, Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
