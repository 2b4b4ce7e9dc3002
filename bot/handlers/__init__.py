"""aiogram routers, one per feature. `build_routers()` returns them in matching order:
admin first (so /login documents are not taken for images), then the refusal of admin
commands for everyone else, then the user features, and intake last (it takes any message).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from aiogram import Router


def build_routers() -> list[Router]:
    """The feature routers in matching order, ready to include in a new Dispatcher."""
    from bot.handlers import (
        admin,
        card,
        gallery,
        history,
        intake,
        language,
        preferences,
        review,
        review_view,
        start,
        team,
        textvideo,
    )

    modules = [_fresh(m) for m in (admin, start, language, preferences, card, review, review_view, history,
                                   gallery, textvideo,
                                   intake)]
    # team (admins' /audit and /users budget) goes first: admin's /users would take the budget form.
    return [_fresh(team).router, modules[0].router, modules[0].refusals] + [m.router for m in modules[1:]]


def _fresh(module: ModuleType) -> ModuleType:
    # A router attaches to one dispatcher only. A process that builds a second bot (a restart
    # in tests, the benchmark) gets the module re-executed, hence new routers.
    if module.router.parent_router is not None:
        module = importlib.reload(module)
    return module
