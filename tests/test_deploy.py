"""The container's stop matches the bot's shutdown bound (issue 12 #10 leftovers): Docker
SIGKILLs a container 10 s after SIGTERM unless told otherwise, which would cut the graceful
stop short (leases not handed back, session unsaved), and without an init process Chromium's
orphaned children become zombies in the container."""

from __future__ import annotations

import re
from pathlib import Path

from bot.cli.serve import SHUTDOWN_BOUND_S

ROOT = Path(__file__).resolve().parents[1]


def _service_keys(text: str) -> dict[str, str]:
    """The flowbot service's scalar `key: value` lines (the file is small and flat)."""
    keys: dict[str, str] = {}
    for line in text.splitlines():
        m = re.fullmatch(r" {4}([a-z_]+): *([^#]+?)\s*", line)
        if m:
            keys[m.group(1)] = m.group(2).strip("'\"")
    return keys


def _seconds(value: str) -> float:
    m = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", value)
    assert m and value, value
    return int(m.group(1) or 0) * 60 + int(m.group(2) or 0)


def test_docker_stop_waits_longer_than_the_shutdown_bound():
    keys = _service_keys((ROOT / "docker-compose.yml").read_text())
    assert "stop_grace_period" in keys, "docker stop would SIGKILL after 10 s"
    assert _seconds(keys["stop_grace_period"]) > SHUTDOWN_BOUND_S


def test_container_has_an_init_to_reap_chromium_children():
    keys = _service_keys((ROOT / "docker-compose.yml").read_text())
    assert keys.get("init") == "true"


def test_dockerfile_stop_signal_is_the_graceful_one():
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    stops = [ln.split()[1] for ln in lines if ln.startswith("STOPSIGNAL")]
    assert stops in ([], ["SIGTERM"])  # serve stops gracefully on SIGTERM (and SIGINT)
