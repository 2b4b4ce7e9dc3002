"""The start-up sweep: delete what a killed process left half-written, and orphaned downloads.

Every writer in flowbot writes to a temporary name and renames it into place, and deletes the
temporary file itself when it fails — unless the process is killed outright (SIGKILL, power
loss, OOM). Then the temporary file has no owner any more; this sweep is that owner. It runs
once at start-up, before the bot polls and before the pipeline runs, so nothing it matches can
be in use. Adding a new temp-then-rename writer means adding its pattern here (and to the test
`tests/storage/test_sweep.py`).

| writer | temporary name |
|---|---|
| 4K upscale (`pipeline/upscale.py`), zip export (`pipeline/zipexport.py`), blob store (`storage/blobstore.py`) | `.NAME.XXXXXXXX.part` |
| Flow download (`pipeline/flow/download.py`) | `.NAME.part` |
| clip collection (`pipeline/stages/collect.py`, `stages/fetch_1080.py`) | `NAME.part.mp4` |
| contact sheet (`pipeline/contactsheet.py`: the sheet and its per-clip frames, beside the sheet) | `.NAME.XXXXXXXX.part`, `.NAME.XXXXXXXX.NNNN.part` |
| gallery poster (`webapp/posters.py`: beside its clip) | `.NAME.XXXXXXXX.part` |
| intake download (`telegram/intake.py`) | `data/incoming/USER/HEX32.part` |
| trace scrubbing (`pipeline/flow/session.py`) | `NAME.trace.tmp` |
| session file (`pipeline/flow/session.write_private`, `services/sessions.py`) | `.SESSION.XXXXXXXX`, `SESSION.candidate`, `SESSION.probe.json` |

Downloaded images in `data/incoming` are owned by the dialog waiting for their prompt (a batch
copies its images); at start-up every file there that no dialog holds is deleted too.
The simulator's own state folder (`data/flowsim`) is left alone: its process may be running.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

TEMP_PATTERNS = (
    re.compile(r"\..+\.part"),           # .NAME.part and .NAME.XXXXXXXX.part
    re.compile(r".+\.part\.mp4"),        # NAME.part.mp4
    re.compile(r"[0-9a-f]{32}\.part"),   # intake downloads
    re.compile(r".+\.trace\.tmp"),       # a trace zip being scrubbed
)
SKIP_DIRS = frozenset({"flowsim"})  # the simulator's state dir: another process writes there


def is_temp_name(name: str) -> bool:
    """True for the temporary file names flowbot's writers use (see the module table)."""
    return any(p.fullmatch(name) for p in TEMP_PATTERNS)


def sweep_temp_files(roots: Iterable[Path], *, session_files: Iterable[Path] = ()) -> list[Path]:
    """Delete leftover temporary files under `roots` (recursively) and next to `session_files`."""
    removed: list[Path] = []
    seen: set[Path] = set()
    for root in roots:
        root = Path(root)
        if not root.is_dir() or root.resolve() in seen:
            continue
        seen.add(root.resolve())
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not (Path(folder) == root and d in SKIP_DIRS)]
            for name in files:
                if is_temp_name(name):
                    removed += _unlink(Path(folder) / name)
    for session in session_files:
        session = Path(session)
        if not session.parent.is_dir():
            continue
        mkstemp = re.compile(re.escape(f".{session.name}.") + r"[a-z0-9_]{8}")
        for path in session.parent.iterdir():
            if mkstemp.fullmatch(path.name) or path.name in (
                f"{session.name}.candidate", f"{session.name}.probe.json",
            ):
                removed += _unlink(path)
    return removed


def sweep_incoming(incoming_dir: Path, held: Iterable[str | Path]) -> list[Path]:
    """Delete downloaded images no dialog holds, then empty per-user folders."""
    incoming_dir = Path(incoming_dir)
    if not incoming_dir.is_dir():
        return []
    keep = {Path(p).resolve() for p in held}
    removed: list[Path] = []
    for folder, _dirs, files in os.walk(incoming_dir, topdown=False):
        for name in files:
            path = Path(folder) / name
            if path.resolve() not in keep:
                removed += _unlink(path)
        if Path(folder) != incoming_dir:
            try:
                os.rmdir(folder)  # only succeeds when empty
            except OSError:
                pass
    return removed


def sweep_at_start(data_dir: Path, *, blob_dir: Path | None = None,
                   session_files: Iterable[Path] = (), held_images: Iterable[str | Path] = ()) -> list[Path]:
    """The whole start-up sweep (temp files everywhere, then orphaned downloads); returns
    what was deleted. Call it before anything starts writing."""
    data_dir = Path(data_dir)
    roots = [data_dir] + ([Path(blob_dir)] if blob_dir is not None else [])
    removed = sweep_temp_files(roots, session_files=session_files)
    removed += sweep_incoming(data_dir / "incoming", held_images)
    if removed:
        log.info("start-up sweep deleted %d leftover file(s)", len(removed))
    return removed


def _unlink(path: Path) -> list[Path]:
    try:
        path.unlink()
    except FileNotFoundError:
        return []
    except OSError as err:
        log.warning("sweep could not delete %s: %s", path.name, type(err).__name__)
        return []
    return [path]
