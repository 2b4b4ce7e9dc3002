"""The start-up sweep's patterns against the temporary names the real writers make.

The end-to-end check (leftovers on disk, then the bot starts) is
`tests/handlers/test_hardening.py::test_start_up_sweep_removes_what_every_temp_writer_left`.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from bot.storage.sweep import is_temp_name, sweep_at_start, sweep_incoming, sweep_temp_files
from bot.telegram.intake import new_image_path


def test_every_writer_temp_name_is_recognised_and_outputs_are_not(tmp_path):
    dst = Path("item001_g1_v0_4k_fast.mp4")
    temp_names = [
        f".{dst.name}.{secrets.token_hex(4)}.part",        # upscale / zipexport / blobstore
        f".{dst.name}.part",                               # Flow download
        Path("item001_g1_v0.mp4").stem + ".part.mp4",      # collect stage
        Path(tempfile.mkstemp(prefix=".batch1.jpg.", suffix=".part", dir=tmp_path)[1]).name,  # sheet
        new_image_path(tmp_path / "incoming", 7).name,     # intake download (the real function)
        Path("20260101-x.trace.zip").with_suffix(".tmp").name,  # _scrub_trace
    ]
    outputs = ["item001_g1_v0.mp4", "item001_g1_v0_4k_fast.mp4", "batch1_720p.zip", "001_cat.jpg",
               "flow_session.json", "flowbot.sqlite3", "flowbot.sqlite3-wal", "parts.txt",
               "item.partial.mp4", "x.trace.zip"]
    assert [n for n in temp_names if not is_temp_name(n)] == []
    assert [n for n in outputs if is_temp_name(n)] == []


def test_session_temp_files_are_swept_next_to_the_session_only(tmp_path):
    session = tmp_path / "flow_session.json"
    session.write_text("{}")
    fd, tmp = tempfile.mkstemp(dir=tmp_path, prefix=f".{session.name}.")  # as write_private does
    os.close(fd)
    (tmp_path / "flow_session.json.candidate").write_text("{}")
    (tmp_path / "flow_session.json.probe.json").write_text("{}")
    (tmp_path / ".other_file.abcdefgh").write_text("not ours")
    removed = sweep_temp_files([], session_files=[session])
    assert sorted(p.name for p in removed) == sorted(
        [Path(tmp).name, "flow_session.json.candidate", "flow_session.json.probe.json"])
    assert session.exists() and (tmp_path / ".other_file.abcdefgh").exists()


def test_simulator_folder_and_held_images_are_left_alone(tmp_path):
    (tmp_path / "flowsim" / "media").mkdir(parents=True)
    sim_part = tmp_path / "flowsim" / "media" / "tile.part.mp4"
    sim_part.write_bytes(b"x")
    nested = tmp_path / "clips" / "flowsim"  # only the top-level simulator folder is skipped
    nested.mkdir(parents=True)
    (nested / "a.part.mp4").write_bytes(b"x")
    incoming = tmp_path / "incoming" / "5"
    incoming.mkdir(parents=True)
    held, orphan = incoming / "held.jpg", incoming / "orphan.jpg"
    held.write_bytes(b"x")
    orphan.write_bytes(b"x")
    removed = sweep_at_start(tmp_path, held_images=[str(held)])
    assert sim_part.exists() and held.exists()
    assert sorted(p.name for p in removed) == ["a.part.mp4", "orphan.jpg"]
    assert sweep_incoming(tmp_path / "nowhere", []) == []
