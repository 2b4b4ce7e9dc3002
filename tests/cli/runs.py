"""What the `flowbot batch --backend simulator` subprocess tests share: the environment of a
fresh shell (no settings of the developer's own) with the test timings."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def simulator_run_env(**extra: str) -> dict[str, str]:
    """This process's environment without any flowbot setting, plus test timings and `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "FLOW_", "UPSCALE_", "STORAGE_", "PATHS_"))}
    env.update(FLOW_CANARY="false", FLOW_STEP_TIMEOUT_S="15", FLOW_POLL_INTERVAL_S="0.3",
               FLOW_SUBMIT_GAP_S="0", **extra)
    return env
