"""`flowbot batch`: the whole pipeline headless, without Telegram.

    flowbot batch photos/ --prompt "slow push in" --out out/ --backend simulator
    flowbot batch prompts.csv --outputs 2 --upscale balanced --zip --out out/
    flowbot batch ideas.txt --text-only --model "Omni 1.2 Flash" --duration 12 --resolution 360p
    flowbot batch frames/ --pairs --prompt "day turns to night" --flow-1080p

INPUT is a folder of images (with `--prompt`), or a CSV (`image,prompt`) / TXT (`image | prompt`
or tab-separated, one per line) mapping; relative image paths are taken from the mapping file's
folder. With `--text-only` INPUT is a prompts file (one prompt per line, or a CSV with a
`prompt` column): text-to-video, no images. `--pairs` makes images 1→2, 3→4 … start and end
frames of one clip. Models, durations and resolutions are what the account offers now: the
catalogue the last survey learned (kept in the out folder's database), else the bot's own
knowledge (FLOW_2026 "December 2026"): Veo 3.1 - Lite is 8 s on Pro and 4/6/8 s on Ultra; Omni
1.2 Flash takes any whole duration from 3 to 15 s (10 s on the free plan; an end frame up to
10 s) at 360p or 720p. The default model is Veo 3.1 - Lite (Omni 1.2 Flash where the plan has no
Lite). A model Flow retired (Veo 3.1 - Fast and Quality, Omni 1.1 Flash: 2026-12-07) is refused
before anything starts, naming the nearest one. Clips land in `--out` (`clips/`, `4k/`,
`exports/`), next to the batch's own database, so
running the same command again resumes instead of starting over. With `--backend simulator` the
command starts flowsim itself: no Google account, no credits.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import json
import logging
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from bot.pipeline.catalog import MAX_DURATION, MIN_DURATION, MODELS, RESOLUTIONS

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}
MAX_TEXT_PROMPTS = 500  # a prompts file is read whole: keep a typo'd path from eating memory
CLI_USER = 0  # the batch owner recorded for command-line batches


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("batch", help="make videos from a folder of images without Telegram",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", type=Path, help="folder of images, or a CSV/TXT image→prompt mapping")
    p.add_argument("--prompt", help="prompt for every image of a folder")
    p.add_argument("--aspect", choices=["16:9", "9:16"], help="aspect ratio (default: settings)")
    p.add_argument("--outputs", type=int, choices=[1, 2, 3, 4], help="videos per image")
    p.add_argument("--model", choices=list(MODELS), metavar="MODEL",
                   help="Flow model: " + ", ".join(f'"{m}"' for m in MODELS) + " (default: "
                   "FLOW_DEFAULT_MODEL where offered, else Veo 3.1 - Lite / Omni 1.2 Flash; always "
                   "set explicitly on the page)")
    p.add_argument("--duration", type=_seconds, metavar="N",
                   help=f"clip seconds, a whole number the model allows: Veo's 4/6/8 (plan), "
                        f"Omni 1.2 Flash any of {MIN_DURATION}-{MAX_DURATION} (default: the "
                        f"model's, 8 s)")
    p.add_argument("--resolution", choices=list(RESOLUTIONS),
                   help="render resolution; 360p is Omni only (default 720p)")
    p.add_argument("--plan", choices=["free", "pro", "ultra"],
                   help="the Flow account's plan: prices and durations (default: FLOW_PLAN)")
    p.add_argument("--text-only", "--prompts-only", dest="text_only", action="store_true",
                   help="INPUT is a prompts file: text-to-video, one clip per prompt")
    p.add_argument("--pairs", action="store_true",
                   help="pair consecutive images as start and end frames (1→2, 3→4 …)")
    p.add_argument("--flow-1080p", dest="flow_1080p", action="store_true",
                   help="also fetch Flow's free 1080p of every clip (our own upscale if it "
                        "never comes); --upscale then starts from it")
    p.add_argument("--upscale", metavar="PRESET", choices=["fast", "balanced", "high"],
                   help="also upscale every clip to 4K with this preset")
    p.add_argument("--zip", action="store_true", help="zip the clips (4K ones with --upscale)")
    p.add_argument("--out", type=Path, default=Path("flowbot-out"), help="output folder")
    p.add_argument("--backend", choices=["simulator", "browser"],
                   help="simulator: start a local flowsim; browser: the real Flow (default: settings)")
    p.add_argument("--sim-generation-seconds", type=float, default=None,
                   help="seconds one simulated generation takes (default 8 for a quick try)")
    p.add_argument("--events-log", type=Path, help="append every notification as a JSON line")
    p.add_argument("--quiet", action="store_true", help="no progress bars, only the summary")
    p.set_defaults(func=run)


def _seconds(value: str) -> int:
    """`--duration`: ASCII digits only, bounded (the model's own range is checked later)."""
    if not (value.isascii() and value.isdigit() and len(value) <= 3):
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of seconds")
    return int(value)


def run(args: argparse.Namespace) -> int:
    from bot.config import load_settings

    settings = load_settings(args.env_file)
    if args.backend:
        settings.flow.backend = args.backend
    if args.plan:
        settings.flow.plan = args.plan
    if settings.flow.backend == "simulator":
        settings.flow.sim_generation_seconds = args.sim_generation_seconds or 8.0
    elif args.sim_generation_seconds:
        print("--sim-generation-seconds only applies to --backend simulator", file=sys.stderr)
    try:
        installed_from_store(args, settings)  # the catalogue a survey learned, if any
        items = (read_prompts(args.input) if args.text_only else read_input(args.input, args.prompt))
        check_options(args, settings, len(items))
    except ValueError as err:
        print(f"flowbot batch: {err}", file=sys.stderr)
        return 2
    log = None if args.verbose else BatchLog.install(args.out.resolve() / LOG_NAME)
    try:
        return asyncio.run(_until_signalled(_main(args, settings, items)))
    finally:
        if log is not None:
            log.report()


LOG_NAME = "flowbot-batch.log"


class BatchLog(logging.Handler):
    """Without `--verbose` the log goes to a file in the output folder (bounded: 5 MiB, one
    older file), so log lines never cut into the progress bars; at the end one line says how
    many warnings it holds and where."""

    def __init__(self, path: Path) -> None:
        super().__init__(logging.WARNING)
        self.path = path
        self.warnings = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.warnings += 1

    @classmethod
    def install(cls, path: Path) -> BatchLog:
        """Replace the root logger's terminal handlers by the file (and this counter)."""
        from logging.handlers import RotatingFileHandler

        from bot.logsafe import install_redaction

        path.parent.mkdir(parents=True, exist_ok=True)
        root = logging.getLogger()
        fmt = root.handlers[0].formatter if root.handlers else None
        for handler in list(root.handlers):
            root.removeHandler(handler)
        to_file = RotatingFileHandler(path, maxBytes=5 * 1024 * 1024, backupCount=1,
                                      encoding="utf-8")
        to_file.setFormatter(fmt or logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s"))
        counter = cls(path)
        root.addHandler(to_file)
        root.addHandler(counter)
        install_redaction()
        return counter

    def report(self) -> None:
        """Flush the file and say, once, how many warnings it holds. Not `close()`: logging's
        own shutdown closes every handler again at exit, and the line would be said twice."""
        for handler in logging.getLogger().handlers:
            handler.flush()
        if self.warnings:
            print(f"{self.warnings} warning(s) logged in {self.path} (-v shows the log here)",
                  file=sys.stderr, flush=True)


async def _until_done_or_held(done: Coroutine[Any, Any, Any], held: asyncio.Event) -> None:
    """Wait for `done`, or until clips are held for a retired model; a cancel (a signal) cancels
    both waits before it goes on."""
    waits = [asyncio.ensure_future(done), asyncio.ensure_future(held.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
    if waits[0].done() and not waits[0].cancelled() and waits[0].exception() is not None:
        raise waits[0].exception()  # type: ignore[misc]


async def _until_signalled(main: Coroutine[Any, Any, int], bound_s: float | None = None) -> int:
    """Run the batch until it ends or SIGTERM/SIGINT stops it, the way `flowbot serve` stops.

    The first signal cancels the batch: its `finally` stops the pipeline (running steps get a
    few seconds, leases are handed back), closes Flow (the session is saved) and stops the
    simulator child; the status is 128 + the signal (the batch did not finish; the same command
    resumes it). A second signal, or a stop that overruns `bound_s`, kills every child and
    exits at once.
    """
    from bot.cli.serve import SHUTDOWN_BOUND_S, force_exit

    bound = SHUTDOWN_BOUND_S if bound_s is None else bound_s
    loop = asyncio.get_running_loop()
    task = loop.create_task(main)
    received: list[signal.Signals] = []
    watchdogs: list[threading.Timer] = []

    def forced(reason: str, status: int) -> None:
        # Said on the terminal too: without --verbose the log is a file.
        print(f"flowbot batch: forced exit: {reason}", file=sys.stderr, flush=True)
        force_exit(reason, status)

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig)
        if len(received) > 1:
            forced(f"second signal ({sig.name})", 128 + int(sig))
        print(f"flowbot batch: {sig.name} received: stopping within {bound:.0f} s "
              "(send it again to force)", file=sys.stderr, flush=True)
        task.cancel()
        # A thread, not the loop: the bound must hold even if the loop is stuck.
        watchdog = threading.Timer(bound, forced, (f"the stop took over {bound:.0f} s", 1))
        watchdog.daemon = True
        watchdog.start()
        watchdogs.append(watchdog)

    watched = (signal.SIGTERM, signal.SIGINT)
    for sig in watched:
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        return await task
    except asyncio.CancelledError:
        if not received:
            raise
        print(f"flowbot batch: stopped after {received[0].name}; run the same command again to "
              "resume", file=sys.stderr, flush=True)
        return 128 + int(received[0])
    finally:
        for sig in watched:
            loop.remove_signal_handler(sig)
        for watchdog in watchdogs:
            watchdog.cancel()


def _database_path(args: argparse.Namespace, settings) -> Path:
    return Path(settings.paths.database or args.out.resolve() / "flowbot-batch.sqlite3")


def installed_from_store(args: argparse.Namespace, settings) -> None:
    """Install the catalogue a survey stored in this run's database (read-only; nothing is
    created): from then on it is what the checks offer. Without one, our knowledge decides."""
    import sqlite3

    from bot.pipeline import catalog, catalog_learned

    path = _database_path(args, settings)
    if not path.is_file():
        return
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return
    try:
        learned = catalog_learned.load_sync(conn)
    except sqlite3.Error:
        learned = None
    finally:
        conn.close()
    if learned is not None:
        catalog.install(learned)


def check_options(args: argparse.Namespace, settings, count: int,
                  now: float | None = None) -> tuple[str, int, str]:
    """The (model, duration, resolution) to use, checked against what the account offers now
    on its plan before anything starts (no browser, nothing spent); `ValueError` says why not
    and what to use instead: a retired model names its retirement day and the nearest model."""
    from bot.pipeline import catalog
    from bot.pipeline.retirement import gone
    from bot.services.batches import BatchError, check_duration

    plan = settings.flow.plan
    now = time.time() if now is None else now
    configured = settings.flow.default_model
    model = args.model or configured
    held = gone(model, plan, now)
    if held is not None:
        source = f"--model {model!r}" if args.model else f"FLOW_DEFAULT_MODEL={model!r}"
        if held.nearest is None:
            raise ValueError(f"{source}: {held.english()} Nothing was started or spent.")
        d, r = catalog.normalise(held.nearest, plan, args.duration, args.resolution)
        per = catalog.credits_per_output(held.nearest, plan, d, r)
        raise ValueError(f"{source}: {held.english()[:-1]} on the {plan} plan: use --model "
                         f"\"{held.nearest}\" ({per} credits per clip at {d} s {r}). Nothing "
                         f"was started or spent.")
    if args.model is None and not catalog.is_offered(model, plan, now):
        model = settings.flow.effective_default_model(plan, now)  # e.g. no Lite on free
    if not catalog.is_offered(model, plan, now):
        raise ValueError(f"{model} is not offered on the {plan} plan; use one of: "
                         f"{', '.join(catalog.models_for(plan, now))}")
    offer = catalog.offer(model, plan)
    duration = args.duration or offer.default_duration
    resolution = args.resolution or offer.default_resolution
    try:
        check_duration(model, plan, duration, pairs=args.pairs)
    except BatchError as err:
        if err.code != "bad_duration":
            raise ValueError(str(err)) from None
        raise ValueError(f"{model} on the {plan} plan makes "
                         f"{'/'.join(str(d) for d in offer.durations)} s clips, not {duration} s"
                         ) from None
    if resolution not in offer.resolutions:
        raise ValueError(f"{model} renders {'/'.join(offer.resolutions)} only, not {resolution}")
    if args.pairs and args.text_only:
        raise ValueError("--pairs needs images; it cannot be used with --text-only")
    if args.pairs and count % 2:
        raise ValueError(f"--pairs needs an even number of images (1→2, 3→4 …); got {count}")
    return model, duration, resolution


def read_prompts(path: Path) -> list[tuple[None, str]]:
    """Text-to-video items from a prompts file: one prompt per line (`#` comments skipped), or a
    CSV with a `prompt` column (else its first column)."""
    if not path.is_file():
        raise ValueError(f"{path} is not a prompts file")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        rows = [r for r in csv.reader(text.splitlines()) if r and any(c.strip() for c in r)]
        header = [c.strip().lower() for c in rows[0]] if rows else []
        col = header.index("prompt") if "prompt" in header else 0
        prompts = [r[col].strip() for r in rows[1 if "prompt" in header else 0:] if col < len(r)]
    else:
        prompts = [line.strip() for line in text.splitlines()
                   if line.strip() and not line.lstrip().startswith("#")]
    prompts = [p for p in prompts if p]
    if not prompts:
        raise ValueError(f"no prompts in {path}")
    if len(prompts) > MAX_TEXT_PROMPTS:
        raise ValueError(f"{len(prompts)} prompts in {path}; one batch takes at most {MAX_TEXT_PROMPTS}")
    return [(None, p) for p in prompts]


def read_input(path: Path, prompt: str | None) -> list[tuple[Path, str]]:
    """(image, prompt) pairs from a folder + prompt, or from a CSV/TXT mapping."""
    if path.is_dir():
        if not prompt:
            raise ValueError("a folder of images needs --prompt (or use a CSV/TXT mapping)")
        images = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise ValueError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {path}")
        return [(img, prompt) for img in images]
    if not path.is_file():
        raise ValueError(f"{path} is neither a folder nor a mapping file")
    pairs: list[tuple[Path, str]] = []
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        rows = [r for r in csv.reader(text.splitlines()) if r and any(c.strip() for c in r)]
        if rows and [c.strip().lower() for c in rows[0][:2]] == ["image", "prompt"]:
            rows = rows[1:]
        raw = [(r[0], ",".join(r[1:]) if len(r) > 1 else "") for r in rows]
    else:
        raw = []
        for line in text.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            sep = "\t" if "\t" in line else "|"
            image, _, rest = line.partition(sep)
            raw.append((image, rest))
    for image, text_prompt in raw:
        img = Path(image.strip())
        img = img if img.is_absolute() else path.parent / img
        text_prompt = text_prompt.strip() or (prompt or "")
        if not img.is_file():
            raise ValueError(f"image not found: {img}")
        if not text_prompt:
            raise ValueError(f"no prompt for {img.name} (add one, or pass --prompt)")
        pairs.append((img, text_prompt))
    if not pairs:
        raise ValueError(f"no image/prompt lines in {path}")
    return pairs


def fingerprint(items: list[tuple[Path | None, str]], aspect: str, outputs: int, model: str,
                *extra: object) -> str:
    """Same inputs and settings → same batch, so a re-run resumes it."""
    digest = hashlib.sha256("|".join(map(str, (aspect, outputs, model, *extra))).encode())
    for img, prompt in items:
        digest.update(hashlib.sha256(img.read_bytes()).digest() if img else b"t2v")
        digest.update(prompt.encode())
    return digest.hexdigest()[:24]


async def _main(args: argparse.Namespace, settings, items: list[tuple[Path | None, str]]) -> int:
    from bot.clock import SystemClock
    from bot.pipeline.flow.client import PlaywrightFlowClient
    from bot.pipeline.loop import Pipeline
    from bot.pipeline.upscale import Upscaler
    from bot.services.batches import BatchService, NewItem
    from bot.storage import repo
    from bot.storage.db import Database
    from bot.storage.queue import TaskQueue
    from bot.storage.sweep import sweep_temp_files

    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    settings.paths.data_dir = out
    clock = SystemClock()
    flow_cfg = settings.flow
    aspect = args.aspect or flow_cfg.default_aspect
    outputs = args.outputs or flow_cfg.default_outputs
    model, duration, resolution = check_options(args, settings, len(items))
    db_path = _database_path(args, settings)
    simulator = None
    session_file = settings.session_file
    sim_home = simulator_home(out) if flow_cfg.backend == "simulator" else None
    if sim_home is not None:
        sim_home.mkdir(mode=0o700, parents=True, exist_ok=True)
        session_file = sim_home / "session.json"
    # What a killed run left half-written in the out dir (nothing writes there yet).
    sweep_temp_files([out], session_files=[session_file])
    if sim_home is not None:
        from bot.pipeline.flow.simulator import start_simulator

        # The simulated account outlives a killed run (a re-run reattaches to its renders) in a
        # folder of its own, not among the user's clips; a finished batch deletes it.
        simulator = await start_simulator(flow_cfg, session_file, state_dir=sim_home / "account")
        flow_cfg.base_url = simulator.base_url
    elif not session_file.exists():
        print(f"flowbot batch: no Flow session at {session_file}; sign in first "
              f"(see README: /login or FLOW_SESSION_FILE), or use --backend simulator",
              file=sys.stderr)
        return 2
    db = await Database(db_path, clock).open()
    queue = TaskQueue(db, lease_seconds=20)
    flow = PlaywrightFlowClient(flow_cfg, session_file, clock, out / "artifacts")
    notifier = CliNotifier(args.events_log, quiet=args.quiet)
    pipeline = None
    view_task = None
    finished = False
    try:
        svc = BatchService(db, queue, settings, clock, out)
        fp = fingerprint(items, aspect, outputs, model, duration, resolution, args.pairs,
                         args.flow_1080p)
        key = f"cli.batch.{fp}"
        batch_id = await repo.kv_read(db, key)
        if batch_id is None or await svc.get(batch_id) is None:
            batch_id = await svc.create_batch(
                CLI_USER, None, [NewItem(img, p) for img, p in items], aspect=aspect,
                outputs=outputs, model=model, source="cli", title=args.input.name,
                duration=duration, resolution=resolution, pairs=args.pairs,
                flow_1080p=args.flow_1080p)
            now = clock.now()
            await db.write_sync(lambda conn: repo.kv_set(conn, key, batch_id, now))
            resumed = False
        else:
            resumed = True
        if args.upscale:
            await svc.set_auto_upscale(batch_id, CLI_USER, args.upscale)
        credits, seconds = await svc.estimate(batch_id)
        what = (f"{len(items)} prompt(s), text only" if args.text_only else
                f"{len(items)} images → {len(items) // 2} start+end clip(s)" if args.pairs else
                f"{len(items)} image(s)")
        print(f"batch #{batch_id}{' (resumed)' if resumed else ''}: {what} × "
              f"{outputs} output(s), {model} {duration} s {resolution}, {aspect}, "
              f"{settings.flow.plan} plan{', Flow 1080p' if args.flow_1080p else ''}; "
              f"about {credits} credits, "
              f"~{seconds / 60:.1f} min; backend {flow_cfg.backend}; output in {out}", flush=True)
        await flow.start()
        # A zip is written once, where the user looks: the output folder itself.
        pipeline = Pipeline(db, queue, flow, Upscaler(settings.upscale), None, notifier, settings,
                            clock, data_dir=out, exports_dir=out)
        await svc.start(batch_id, CLI_USER)
        await pipeline.start()
        view = ProgressView(db, batch_id, quiet=args.quiet)
        view_task = asyncio.get_running_loop().create_task(view.run())
        await _until_done_or_held(pipeline.wait_batch(batch_id), notifier.held)
        if notifier.held.is_set():
            view_task.cancel()
            await asyncio.gather(view_task, return_exceptions=True)
            return 3
        if args.zip:
            await _zip(svc, pipeline, batch_id, "4k" if args.upscale else "720p")
        view_task.cancel()
        await asyncio.gather(view_task, return_exceptions=True)
        batch = await svc.get(batch_id)
        print(summary_table(batch, out), flush=True)
        finished = True
        return 0 if all(i.status == "done" for i in batch.items) else 1
    finally:
        if view_task is not None and not view_task.done():
            view_task.cancel()
        if pipeline is not None:
            await pipeline.stop()
        await flow.close()
        await db.close()
        if simulator is not None:
            await simulator.stop()
        if finished and sim_home is not None:
            # Nothing is left to reattach to: the simulated account goes with its batch.
            shutil.rmtree(sim_home, ignore_errors=True)


def simulator_home(out: Path) -> Path:
    """The working folder of the simulator a `--backend simulator` run into `out` starts: its
    account (projects, renders, cookie) and signed-in session, kept across a killed run so the
    same command reattaches, outside the user's output folder (one per output folder)."""
    digest = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"flowbot-sim-{digest}"


async def _zip(svc, pipeline, batch_id: int, resolution: str) -> None:
    export_id = await svc.request_export(batch_id, CLI_USER, resolution)
    if export_id is None:
        print("nothing to zip: no clip finished", flush=True)
        return
    await pipeline.wait_batch(batch_id)
    row = await svc.db.fetchone("SELECT status, parts_json FROM exports WHERE id = ?", (export_id,))
    parts = json.loads(row["parts_json"])
    print(f"zip {row['status']}: {', '.join(parts) if parts else '-'}", flush=True)


# -- terminal output ------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if is_dataclass(value):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return str(value) if isinstance(value, Path) else value


class CliNotifier:
    """The `Notifier` of the command line: one line per finished item, alerts on stderr.

    With `events_log`, every event is also appended as a JSON line (for scripts and tests).
    """

    def __init__(self, events_log: Path | None = None, *, quiet: bool = False) -> None:
        self.events_log = events_log
        self.quiet = quiet
        self.held = asyncio.Event()  # set when clips were held for a retired model

    def _log(self, name: str, event: Any) -> None:
        if self.events_log is not None:
            with open(self.events_log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"event": name, "at": time.time(), **_plain(event)}) + "\n")

    def _say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)

    async def batch_progress(self, event) -> None:
        self._log("batch_progress", event)

    async def item_previews(self, event) -> None:
        self._log("item_previews", event)
        names = ", ".join(c.path.name for c in event.clips)
        self._say(f"  done   #{event.position:02d}: {len(event.clips)} clip(s): {names}")

    async def item_failed(self, event) -> None:
        self._log("item_failed", event)
        self._say(f"  failed #{event.position:02d}: {event.reason}")

    async def batch_finished(self, event) -> None:
        self._log("batch_finished", event)

    async def upscale_progress(self, event) -> None:
        pass  # the progress view shows 4K states; per-percent lines would flood the terminal

    async def clip_upscaled(self, event) -> None:
        self._log("clip_upscaled", event)
        self._say(f"  4K     clip {event.clip_id}: {event.path.name} ({event.size / 1e6:.1f} MB)")

    async def export_ready(self, event) -> None:
        self._log("export_ready", event)
        self._say(f"  zip    {', '.join(p.name for p in event.parts)}")

    async def admin_alert(self, event) -> None:
        self._log("admin_alert", event)
        print(f"!! {event.text}\n!! what to do: {event.action}", file=sys.stderr, flush=True)

    async def model_retired(self, event) -> None:
        """Clips still waiting were held: their model is gone (a retirement day passed, or a
        survey dropped it, during the run). Says so; `_main` stops the run, nothing spent."""
        self._log("model_retired", event)
        since = f"was retired by Flow on {event.since}" if event.since else "is no longer offered"
        instead = (f"; run again with --model \"{event.nearest}\" ({event.credits} credits for "
                   f"what is left)" if event.nearest else "")
        print(f"!! {event.model} {since}: the clips still waiting are held, nothing was "
              f"spent{instead}", file=sys.stderr, flush=True)
        self.held.set()


class ProgressView:
    """A progress bar per item, redrawn in place on a terminal, as state lines otherwise."""

    def __init__(self, db, batch_id: int, *, quiet: bool = False, width: int = 24) -> None:
        self.db = db
        self.batch_id = batch_id
        self.quiet = quiet
        self.width = width
        self.tty = sys.stdout.isatty()
        self._drawn = 0
        self._last: dict[int, str] = {}

    async def run(self, period: float = 0.5) -> None:
        while True:
            await self.draw()
            await asyncio.sleep(period)

    async def draw(self) -> None:
        if self.quiet:
            return
        rows = await self.db.fetchall(
            "SELECT i.position, i.status, i.progress, i.image_path, "
            "(SELECT group_concat(coalesce(c.status_4k, ''), '') FROM clips c WHERE c.item_id = i.id) "
            "FROM items i WHERE i.batch_id = ? ORDER BY i.position", (self.batch_id,))
        if not self.tty:
            for pos, status, _, image, _k in rows:
                if self._last.get(pos) != status:
                    self._last[pos] = status
                    print(f"  #{pos:02d} {_name(image)}: {status}", flush=True)
            return
        lines = []
        for pos, status, progress, image, fourk in rows:
            pct = 100 if status == "done" else (progress or 0)
            fill = int(self.width * pct / 100)
            bar = "#" * fill + "." * (self.width - fill)
            extra = f"  4K:{fourk}" if fourk else ""
            lines.append(f"  #{pos:02d} {_name(image)[:20]:20s} [{bar}] {pct:3d}% {status}{extra}")
        if self._drawn:
            sys.stdout.write(f"\x1b[{self._drawn}F")
        sys.stdout.write("".join(f"\x1b[2K{line}\n" for line in lines))
        sys.stdout.flush()
        self._drawn = len(lines)


def summary_table(batch, out: Path) -> str:
    """The end-of-run table: one row per item with its state, clips and reason."""
    clips: dict[int, list] = {}
    for clip in batch.clips:
        clips.setdefault(clip.item_id, []).append(clip)
    head = f"{'#':>3}  {'image':22} {'state':10} {'clips':>5} {'4K':>3}  detail"
    lines = [f"batch #{batch.id}: {batch.counts}", head, "-" * len(head)]
    for item in batch.items:
        mine = [c for c in clips.get(item.id, []) if c.status == "ready"]
        fourk = sum(1 for c in mine if c.status_4k == "ready")
        if item.status == "done":
            detail = ", ".join(_rel(c.path_4k or c.path_720, out) for c in mine)
        else:
            detail = item.reason or ""
        name = item.image_path.name if item.image_path else texts_only(item.prompt)
        lines.append(f"{item.position:>3}  {name[:22]:22} {item.status:10} "
                     f"{len(mine):>5} {fourk:>3}  {detail}")
    return "\n".join(lines)


def _name(image: str) -> str:
    return Path(image).name if image else "(text-to-video)"


def texts_only(prompt: str) -> str:
    """How a text-to-video item is named in the terminal: its prompt, quoted."""
    return f'"{prompt}"'


def _rel(path: Path | None, out: Path) -> str:
    if path is None:
        return "-"
    try:
        return str(path.relative_to(out))
    except ValueError:
        return str(path)
