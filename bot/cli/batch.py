"""`flowbot batch`: the whole pipeline headless, without Telegram.

    flowbot batch photos/ --prompt "slow push in" --out out/ --backend simulator
    flowbot batch prompts.csv --outputs 2 --upscale balanced --zip --out out/

INPUT is a folder of images (with `--prompt`), or a CSV (`image,prompt`) / TXT (`image | prompt`
or tab-separated, one per line) mapping; relative image paths are taken from the mapping file's
folder. Clips land in `--out` (`clips/`, `4k/`, `exports/`), next to the batch's own database, so
running the same command again resumes instead of starting over. With `--backend simulator` the
command starts flowsim itself: no Google account, no credits.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import json
import shutil
import sys
import time
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}
CLI_USER = 0  # the batch owner recorded for command-line batches


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("batch", help="make videos from a folder of images without Telegram",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", type=Path, help="folder of images, or a CSV/TXT image→prompt mapping")
    p.add_argument("--prompt", help="prompt for every image of a folder")
    p.add_argument("--aspect", choices=["16:9", "9:16"], help="aspect ratio (default: settings)")
    p.add_argument("--outputs", type=int, choices=[1, 2, 3, 4], help="videos per image")
    p.add_argument("--model", choices=["Veo 3.1 - Fast", "Veo 3.1 - Quality"])
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


def run(args: argparse.Namespace) -> int:
    from bot.config import load_settings

    settings = load_settings(args.env_file)
    if args.backend:
        settings.flow.backend = args.backend
    if settings.flow.backend == "simulator":
        settings.flow.sim_generation_seconds = args.sim_generation_seconds or 8.0
    elif args.sim_generation_seconds:
        print("--sim-generation-seconds only applies to --backend simulator", file=sys.stderr)
    try:
        items = read_input(args.input, args.prompt)
    except ValueError as err:
        print(f"flowbot batch: {err}", file=sys.stderr)
        return 2
    return asyncio.run(_main(args, settings, items))


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


def fingerprint(items: list[tuple[Path, str]], aspect: str, outputs: int, model: str) -> str:
    """Same inputs and settings → same batch, so a re-run resumes it."""
    digest = hashlib.sha256(f"{aspect}|{outputs}|{model}".encode())
    for img, prompt in items:
        digest.update(hashlib.sha256(img.read_bytes()).digest())
        digest.update(prompt.encode())
    return digest.hexdigest()[:24]


async def _main(args: argparse.Namespace, settings, items: list[tuple[Path, str]]) -> int:
    from bot.clock import SystemClock
    from bot.pipeline.flow.client import PlaywrightFlowClient
    from bot.pipeline.loop import Pipeline
    from bot.pipeline.upscale import Upscaler
    from bot.services.batches import BatchService, NewItem
    from bot.storage import repo
    from bot.storage.db import Database
    from bot.storage.queue import TaskQueue

    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    settings.paths.data_dir = out
    clock = SystemClock()
    flow_cfg = settings.flow
    aspect = args.aspect or flow_cfg.default_aspect
    outputs = args.outputs or flow_cfg.default_outputs
    model = args.model or flow_cfg.default_model
    db_path = settings.paths.database or out / "flowbot-batch.sqlite3"
    simulator = None
    session_file = settings.session_file
    if flow_cfg.backend == "simulator":
        from bot.pipeline.flow.simulator import start_simulator

        session_file = out / ".flowsim-session.json"
        # The simulated account lives in the out dir too, so a re-run reattaches to its renders.
        simulator = await start_simulator(flow_cfg, session_file, state_dir=out / "flowsim")
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
    try:
        svc = BatchService(db, queue, settings, clock, out)
        key = f"cli.batch.{fingerprint(items, aspect, outputs, model)}"
        batch_id = await repo.kv_read(db, key)
        if batch_id is None or await svc.get(batch_id) is None:
            batch_id = await svc.create_batch(
                CLI_USER, None, [NewItem(img, p) for img, p in items], aspect=aspect,
                outputs=outputs, model=model, source="cli", title=args.input.name)
            now = clock.now()
            await db.write_sync(lambda conn: repo.kv_set(conn, key, batch_id, now))
            resumed = False
        else:
            resumed = True
        if args.upscale:
            await svc.set_auto_upscale(batch_id, CLI_USER, args.upscale)
        credits, seconds = await svc.estimate(batch_id)
        print(f"batch #{batch_id}{' (resumed)' if resumed else ''}: {len(items)} image(s) × "
              f"{outputs} output(s), {model}, {aspect}; about {credits} credits, "
              f"~{seconds / 60:.1f} min; backend {flow_cfg.backend}; output in {out}", flush=True)
        await flow.start()
        pipeline = Pipeline(db, queue, flow, Upscaler(settings.upscale), None, notifier, settings,
                            clock, data_dir=out)
        await svc.start(batch_id, CLI_USER)
        await pipeline.start()
        view = ProgressView(db, batch_id, quiet=args.quiet)
        view_task = asyncio.get_running_loop().create_task(view.run())
        await pipeline.wait_batch(batch_id)
        if args.zip:
            await _zip(svc, pipeline, batch_id, "4k" if args.upscale else "720p")
        view_task.cancel()
        await asyncio.gather(view_task, return_exceptions=True)
        batch = await svc.get(batch_id)
        print(summary_table(batch, out), flush=True)
        for export in batch.exports:
            for part in export.parts:
                target = out / part.name
                if not target.exists():
                    shutil.copyfile(part, target)
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
                    print(f"  #{pos:02d} {Path(image).name}: {status}", flush=True)
            return
        lines = []
        for pos, status, progress, image, fourk in rows:
            pct = 100 if status == "done" else (progress or 0)
            fill = int(self.width * pct / 100)
            bar = "#" * fill + "." * (self.width - fill)
            extra = f"  4K:{fourk}" if fourk else ""
            lines.append(f"  #{pos:02d} {Path(image).name[:20]:20s} [{bar}] {pct:3d}% {status}{extra}")
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
        lines.append(f"{item.position:>3}  {item.image_path.name[:22]:22} {item.status:10} "
                     f"{len(mine):>5} {fourk:>3}  {detail}")
    return "\n".join(lines)


def _rel(path: Path | None, out: Path) -> str:
    if path is None:
        return "-"
    try:
        return str(path.relative_to(out))
    except ValueError:
        return str(path)
