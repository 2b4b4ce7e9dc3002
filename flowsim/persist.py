"""Optional persistence (`--state-dir`): the account survives a simulator restart, like the real
Flow survives our bot restarting. A JSON snapshot, written atomically about once a second.
Settings are not part of it: a restarted simulator uses its command-line settings."""

from __future__ import annotations

import json
import os
from collections import Counter, deque
from dataclasses import asdict
from pathlib import Path

from flowsim.model import Project, Tile
from flowsim.v2026 import account, library

SCALARS = (
    "credits_left", "credits_spent", "submissions", "tiles_created", "max_active",
    "session_token", "session_valid", "truncate_next", "submission_log",
)


def snapshot(sim) -> dict:
    """Everything `restore` needs, as JSON-able data."""
    data = {name: getattr(sim, name) for name in SCALARS}
    data.update(
        projects=[asdict(p) for p in sim.projects.values()],
        tiles=[asdict(t) for t in sim.tiles.values()],
        media={key: path.name for key, path in sim.media.items()},
        downloads=dict(sim.downloads), refusals=dict(sim.refusals),
        failure_script=list(sim.failure_script),
        # The account's flags and library (the wire log is not kept: tests read it within one
        # run, and it grows with every poll).
        account2026=sim.account.to_json(), library2026=sim.library.to_json(),
    )
    return data


def save(sim, path: Path) -> None:
    """Write the snapshot next to `path` and rename it over, so a crash never leaves half."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(snapshot(sim)))
    os.replace(tmp, path)


def restore(sim, path: Path) -> bool:
    """Load a snapshot written by `save` into `sim`; False when there is none."""
    if not path.exists():
        return False
    data = json.loads(path.read_text())
    for name in SCALARS:
        setattr(sim, name, data[name])
    sim.projects = {p["project_id"]: Project(**p) for p in data["projects"]}
    sim.tiles = {}
    for raw in data["tiles"]:
        raw["steps"] = [tuple(step) for step in raw["steps"]]
        tile = Tile(**raw)
        # A clip whose file is gone (media dir wiped) is rendered again.
        tile.rendered = tile.rendered and sim.video_path(tile.tile_id).exists()
        sim.tiles[tile.tile_id] = tile
    sim.media = {key: sim.studio.media_dir / name for key, name in data["media"].items()}
    sim.downloads, sim.refusals = Counter(data["downloads"]), Counter(data["refusals"])
    sim.failure_script = deque(tuple(item) for item in data["failure_script"])
    if "account2026" in data:  # snapshots from before flow2026 lack it
        sim.account = account.restore(data["account2026"])
        sim.library = library.Library.from_json(data["library2026"])
    return True
