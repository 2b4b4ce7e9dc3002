"""flowsim's render cache (flowsim/studio.py): one encode serves every later identical ask,
and what it hands out is byte for byte what a render makes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flowsim.model import Tile
from flowsim.studio import Studio


def _tile(tile_id: str, prompt: str = "a fox in snow", index: int = 0) -> Tile:
    return Tile(tile_id=tile_id, project_id="p", batch_id="b1", prompt=prompt, model="m",
                aspect="9:16", output_index=index, outputs=2, created_at=0.0, clip_seconds=4)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_a_cached_clip_is_the_bytes_a_render_makes_and_changed_inputs_render_again(
        tmp_path):
    plain = Studio(tmp_path / "plain", cache_dir=None)
    cached = Studio(tmp_path / "a", cache_dir=tmp_path / "cache")
    again = Studio(tmp_path / "b", cache_dir=tmp_path / "cache")  # another simulator, same run
    for studio in (plain, cached, again):
        studio.media_dir.mkdir()

    fresh = await plain.clip(_tile("t1"), None)
    first = await cached.clip(_tile("t1"), None)
    assert cached.cache.misses == 1 and cached.cache.hits == 0
    second = await again.clip(_tile("t2"), None)  # another tile id, the same clip asked for
    assert again.cache.hits == 1 and again.cache.misses == 0
    assert second == again.path("t2") and second.exists()
    assert _sha(fresh) == _sha(first) == _sha(second)

    # Anything that changes the picture is another clip: the prompt, the output's index.
    other = await again.clip(_tile("t3", prompt="a fox in rain"), None)
    third = await again.clip(_tile("t4", index=1), None)
    assert again.cache.misses == 2
    assert len({_sha(second), _sha(other), _sha(third)}) == 3

    # Derived files too: the preview of the same clip is made once.
    await cached.preview("t1")
    await again.preview("t2")
    assert again.cache.hits == 2
    assert _sha(cached.path("t1", "preview")) == _sha(again.path("t2", "preview"))
