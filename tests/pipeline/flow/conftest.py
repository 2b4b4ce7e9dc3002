"""Fixtures for the driver tests: clients on the session's flowsim and Chromium, start frames.

Each client opens its own context in the shared Chromium (like production would reuse a
browser), with short step timeouts so a broken step fails in seconds, not half a minute.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image


@pytest.fixture(scope="session")
def frames(tmp_path_factory) -> dict[str, Path]:
    """Start frames: a portrait and a landscape PNG with some structure (gradients, blocks)."""
    out = tmp_path_factory.mktemp("frames")
    paths = {}
    for name, size in (("portrait", (720, 1280)), ("landscape", (1280, 720))):
        img = Image.linear_gradient("L").resize(size).convert("RGB")
        for i in range(0, size[0], 160):
            img.paste((40 * (i // 160) % 255, 120, 200), (i, i // 2, i + 60, i // 2 + 60))
        paths[name] = out / f"{name}.png"
        img.save(paths[name])
    not_image = out / "not-an-image.png"
    not_image.write_bytes(b"this is text, not a PNG")
    paths["broken"] = not_image
    return paths


@pytest.fixture
async def client26(flowsim_url, sim, sim_session_file, chromium, tmp_path):
    """A started client on the flow2026 page with every first-visit overlay off."""
    from .flow2026 import QUIET, client_2026

    await sim.configure(**QUIET)
    c = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await c.start()
    yield c
    await c.close()


@pytest.fixture
async def make26(flowsim_url, sim, sim_session_file, chromium, tmp_path):
    """Factory of started flow2026 clients (`make26(**settings overrides)`), closed at the end."""
    from .flow2026 import client_2026

    made = []

    async def make(**overrides):
        c = client_2026(flowsim_url, sim_session_file, tmp_path, chromium, **overrides)
        await c.start()
        made.append(c)
        return c

    yield make
    for c in made:
        await c.close()
