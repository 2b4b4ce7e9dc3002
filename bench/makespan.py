"""Makespan of a batch against the bound the render-slot limit allows.

Run by hand: `.venv/bin/python bench/makespan.py [--items 14] [--outputs 2] [--slots 5]
[--generation-seconds 20] [--poll 1.0] [--sequential] [--builds october,december]
[--pacing 0,10] [--firewall-gap S] [--firewall-backoff S]`.

`--builds`: Flow's October build (Veo 3.1 - Fast) and December's (Veo 3.1 - Lite, after the
retirements). `--pacing`: FLOW_SUBMIT_GAP_S values run side by side; with `--firewall-gap`
flowsim answers a submit that follows the last one sooner than that with Google's 403, which
the pipeline backs off from (FLOW_FIREWALL_BACKOFF_S): what pacing costs, and what it saves.

Starts flowsim (fixed generation time, `--slots` renders at once) and one Chromium, then runs the
same batch through the real pipeline and driver on each of `--builds`, side by side:

* flow.google.com keeps its realistic page timing switched on (flowsim's defaults: an upload
  reaches the picker after upload_store_seconds, a submit is answered after submit_reply_ms,
  the model re-render, the summary lag): each item costs an upload and a pick;
* pipelined: render budget `--slots` (the next prompt goes as soon as slots free up);
* with `--sequential`, also one prompt at a time: render budget = outputs (the original
  platform's behaviour), per build.

Makespan = from `start()` to the last clip collected. Lower bound: prompts are indivisible, so
at most floor(slots / outputs) prompts render at once and the batch needs
ceil(items / that) rounds of one generation time each. Target: pipelined ≤ 1.15 × bound.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from bot.browser import launch_chromium  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.services.batches import BatchService, NewItem  # noqa: E402
from flowsim.control import SimControl  # noqa: E402
from tests.services.harness import (  # noqa: E402
    RecordingNotifier,
    make_frames,
    make_settings,
    running_pipeline,
)


def start_flowsim(work: Path, generation_s: float, slots: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "flowsim", "--port", "0", "--generation-seconds", str(generation_s),
         "--slots", str(slots), "--media-dir", str(work / "media")],
        stdout=subprocess.PIPE, stderr=open(work / "flowsim.log", "w"), text=True,
        cwd=Path(__file__).resolve().parents[1])
    line = proc.stdout.readline()
    if "listening on " not in line:
        raise SystemExit(f"flowsim did not start: {line!r}")
    return proc, line.split("listening on ", 1)[1].strip()


# The model each Flow build's batch uses: October's Veo 3.1 - Fast (the figures before the
# retirements), December's Veo 3.1 - Lite (the same 8 s Veo after 2026-12-07).
BUILD_MODELS = {"october": "Veo 3.1 - Fast", "december": "Veo 3.1 - Lite"}


async def one_run(label: str, url: str, browser, work: Path, frames: list[Path], outputs: int,
                  budget: int, poll: float, build: str = "december",
                  gap: float = 0.0, firewall_gap: float | None = None,
                  firewall_backoff: float = 180.0) -> dict:
    from bot.pipeline import catalog
    from tests.fixtures.catalogs import october_learned

    sim = SimControl(url)
    await sim.reset()  # flowsim's start-up values: the realistic page timings stay on
    await sim.configure(build=build, firewall_min_gap_s=firewall_gap)
    # October's models were retired on 2026-12-07: the October build's catalogue is pinned as
    # its survey learns it; December's is what the bot knows by itself.
    catalog.install(october_learned() if build == "october" else None)
    config = await sim.config()
    session = work / f"{label}-session.json"
    fd = os.open(session, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(await sim.storage_state(), fh)
    settings = make_settings(work / label, url, render_slots=budget,
                             poll_interval_s=poll, submit_gap_s=gap,
                             firewall_backoff_s=firewall_backoff)
    async with running_pipeline(settings, session, RecordingNotifier(), browser=browser,
                                lease_s=30) as pipe:
        svc = BatchService(pipe.db, pipe.queue, settings, SystemClock(), settings.paths.data_dir)
        batch_id = await svc.create_batch(1, None, [NewItem(f, f"bench shot {i}") for i, f in
                                                    enumerate(frames)],
                                          aspect="9:16", outputs=outputs,
                                          model=BUILD_MODELS[build], source="cli")
        t0 = time.monotonic()
        await svc.start(batch_id, 1)
        status = await pipe.wait_batch(batch_id, timeout=3600)
        makespan = time.monotonic() - t0
        view = await svc.get(batch_id)
    counters = await sim.counters()
    await sim.close()
    timing = {k: config.get(k) for k in ("upload_store_seconds", "submit_reply_ms",
                                         "model_rerender_ms", "summary_lag_ms")}
    firewalled = counters.get("refusals", {}).get("firewall", 0)
    return {"label": label, "build": build, "timing": timing, "status": status, "makespan": makespan, "counts": view.counts,
            "submissions": counters["submissions"], "max_active": counters["max_active_renders"],
            "firewall": firewalled}


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=14)
    ap.add_argument("--outputs", type=int, default=2)
    ap.add_argument("--slots", type=int, default=5)
    ap.add_argument("--generation-seconds", type=float, default=20.0)
    ap.add_argument("--poll", type=float, default=1.0, help="FLOW_POLL_INTERVAL_S for the runs")
    ap.add_argument("--sequential", action="store_true",
                    help="also run one prompt at a time per build (doubles the run time)")
    ap.add_argument("--builds", default="december",
                    help="comma-separated Flow builds, run side by side (october, december)")
    ap.add_argument("--pacing", default="0",
                    help="comma-separated FLOW_SUBMIT_GAP_S values, run side by side (e.g. 0,10)")
    ap.add_argument("--firewall-gap", type=float, default=None,
                    help="flowsim answers a submit sooner than this after the last with a 403")
    ap.add_argument("--firewall-backoff", type=float, default=180.0,
                    help="FLOW_FIREWALL_BACKOFF_S for the runs")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="makespan-"))
    proc, url = start_flowsim(work, args.generation_seconds, args.slots)
    try:
        frames = make_frames(work / "frames", args.items)
        async with launch_chromium("/usr/bin/chromium") as browser:
            runs = []
            gaps = [float(g) for g in args.pacing.split(",") if g.strip()]
            for build in [b.strip() for b in args.builds.split(",") if b.strip()]:
                for gap in gaps:
                    name = f"flow2026 {build}" + (f" gap {gap:g}s" if len(gaps) > 1 or gap else "")
                    runs.append(await one_run(f"{name} pipelined", url, browser, work, frames,
                                              args.outputs, args.slots, args.poll, build, gap,
                                              args.firewall_gap, args.firewall_backoff))
                if args.sequential:
                    runs.append(await one_run(f"flow2026 {build} one-by-one", url, browser, work,
                                              frames, args.outputs, args.outputs, args.poll,
                                              build))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    g = args.generation_seconds
    per_round = max(1, args.slots // args.outputs)
    bound = math.ceil(args.items / per_round) * g
    fluid = args.items * args.outputs * g / args.slots
    print(f"\n{args.items} images × {args.outputs} outputs, {args.slots} render slots, "
          f"{g:.0f} s per generation, poll {args.poll} s")
    print(f"lower bound (indivisible prompts, {per_round} at once): {bound:.0f} s; "
          f"fluid bound (slots fully divisible): {fluid:.0f} s")
    for r in runs:
        print(f"{r['label']} page timing: {r['timing']}")
    if args.firewall_gap:
        print(f"flowsim's firewall: a submit sooner than {args.firewall_gap:g} s after the last "
              f"is answered 403; FLOW_FIREWALL_BACKOFF_S {args.firewall_backoff:g}")
    print(f"{'run':36} {'makespan':>9} {'÷ bound':>8} {'÷ fluid':>8} {'submits':>8} "
          f"{'403s':>5} {'max renders':>12}  items")
    for r in runs:
        print(f"{r['label']:36} {r['makespan']:8.1f}s {r['makespan'] / bound:8.3f} "
              f"{r['makespan'] / fluid:8.3f} {r['submissions']:8d} {r['firewall']:5d} "
              f"{r['max_active']:12d}  {r['counts']}")
    for r in runs:
        if r["label"].endswith("pipelined"):
            ratio = r["makespan"] / bound
            print(f"{r['label']}: target ≤ 1.15 × bound {'met' if ratio <= 1.15 else 'NOT met'} "
                  f"({ratio:.3f})")
            seq = next((q for q in runs if q["label"] == f"flow2026 {r['build']} one-by-one"), None)
            if seq:
                print(f"flow2026 {r['build']}: speed-up of pipelining "
                      f"{seq['makespan'] / r['makespan']:.2f}×")


if __name__ == "__main__":
    asyncio.run(main())
