"""What the driver has seen, kept on disk so a restarted process can reconcile.

Flow's tiles carry no creation time in the page, so `find_submission(prompt, after)` needs our
own record: the projects this account's driver created (newest last) and, per tile id, when the
driver first saw it. A tile showing the prompt that the ledger does not know (the process died
between the Create click and recording the handle) or first saw at/after `after` is a candidate;
tiles the driver recorded before `after` belong to older submissions and are ignored.
The file holds no secrets (project URLs, tile ids, times) but is written 0600 like the session.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from bot.pipeline.flow.session import write_private

log = logging.getLogger(__name__)
MAX_PROJECTS = 20
MAX_CLICKS = 500


def upload_key(path: str | Path) -> str:
    """What identifies an uploaded frame: its path with its size and modification time, so a
    different image later written under the same path is uploaded, never the stale one picked."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return str(p)
    return f"{p}|{st.st_size}|{st.st_mtime_ns}"


def ledger_path(session_file: str | Path) -> Path:
    """Where the driver keeps the ledger of a session by default: beside its session file."""
    return Path(session_file).with_suffix(".driver.json")


class Ledger:
    """Projects and first-seen times of tiles, persisted as JSON."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.projects: list[str] = []
        self.seen: dict[str, float] = {}
        # Frames stored per project: `upload_key` → [media id, run-unique name], so a restarted
        # process picks them instead of uploading the same frame again.
        self.uploads: dict[str, dict[str, list[str]]] = {}
        # Every paid click, written right before it: {"project", "prompt", "at", "request"}
        # (the page's client request id once its request was seen). A submission whose
        # outcome is unknown is looked up by it and never submitted again while it stands.
        self.clicks: list[dict] = []
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text())
                self.projects = list(data.get("projects", []))
                self.seen = {k: float(v) for k, v in data.get("seen", {}).items()}
                self.uploads = {k: dict(v) for k, v in data.get("uploads", {}).items()}
                self.clicks = [c for c in data.get("clicks", []) if isinstance(c, dict)]
            except (ValueError, OSError) as err:
                log.warning("ignoring unreadable driver ledger %s: %s", self.path, err)

    def add_project(self, url: str) -> None:
        if url in self.projects:
            self.projects.remove(url)
        self.projects.append(url)
        del self.projects[:-MAX_PROJECTS]
        self.uploads = {k: v for k, v in self.uploads.items() if k in self.projects}
        self._save()

    def add_upload(self, project_url: str, key: str, media_id: str, name: str) -> None:
        """Record that the file of `key` (`upload_key`) is stored in `project_url`'s library as
        `name` (`media_id`)."""
        self.uploads.setdefault(project_url, {})[key] = [media_id, name]
        self._save()

    def uploads_in(self, project_url: str) -> dict[str, tuple[str, str]]:
        """The frames uploaded into `project_url`: `upload_key` → (media id, name)."""
        return {k: (v[0], v[1]) for k, v in self.uploads.get(project_url, {}).items()}

    def see(self, tile_ids, at: float) -> None:
        """Record tile ids not seen before with time `at` (earlier sightings are kept)."""
        changed = False
        for tile_id in tile_ids:
            if tile_id not in self.seen:
                self.seen[tile_id] = at
                changed = True
        if changed:
            self._save()

    def unclaimed(self, tile_id: str, after: float) -> bool:
        """True when the tile could belong to a submission made at or after `after`."""
        first = self.seen.get(tile_id)
        return first is None or first >= after

    def add_click(self, project_url: str | None, prompt: str, at: float) -> None:
        """Record a paid click about to happen in `project_url` for `prompt`."""
        self.clicks.append({"project": project_url, "prompt": _prompt_key(prompt), "at": at,
                            "request": None})
        del self.clicks[:-MAX_CLICKS]
        self._save()

    def name_click(self, prompt: str, at_or_after: float, request_id: str) -> None:
        """Attach the page's client request id to the latest click of `prompt`."""
        key = _prompt_key(prompt)
        for click in reversed(self.clicks):
            if click["prompt"] == key and click["at"] >= at_or_after - 1.0:
                if click.get("request") != request_id:
                    click["request"] = request_id
                    self._save()
                return

    def clicks_since(self, prompt: str, after: float) -> list[dict]:
        """Clicks of `prompt` at or after `after`, oldest first."""
        key = _prompt_key(prompt)
        return [c for c in self.clicks if c["prompt"] == key and c["at"] >= after]

    def _save(self) -> None:
        data = {"projects": self.projects, "seen": self.seen, "uploads": self.uploads,
                "clicks": self.clicks}
        write_private(self.path, json.dumps(data).encode())


def _prompt_key(prompt: str | None) -> str:
    return " ".join((prompt or "").split()).casefold()
