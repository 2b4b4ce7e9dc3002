"""The drift check behind `flowbot flow check` and the pipeline's drift canary: the page is
loaded, its UI generation's walk reports every element a submission touches (without
uploading, typing, submitting or downloading: nothing is paid), and the report is judged here.

Every element reached gets one line: matched by the primary selector, matched only by a fallback
(drift the driver survives), or matched by nothing (broken: fix the registry). The walk itself
is the living generation's (`ui/flow2026/check.py`); this module is what the CLI, the canary
and any generation share.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from playwright.async_api import Page

from bot.pipeline.flow.locate import NotFound
from bot.pipeline.flow.ui import detect, pin_language

OK, FALLBACK, BROKEN = 0, 3, 1  # exit codes: all primary / some only by fallback / some missing


@dataclass(frozen=True)
class ElementResult:
    """One element of the walk: which fallback matched (`index`, None: nothing did)."""

    stage: str
    key: str
    index: int | None  # which fallback matched; None: nothing did
    selector: str

    @property
    def status(self) -> str:
        """"ok" (the primary selector), "fallback" (drift covered) or "MISSING"."""
        if self.index is None:
            return "MISSING"
        return "ok" if self.index == 0 else "fallback"


def _living() -> ModuleType:
    """The living generation's walk; imported when used because it builds on this module's
    `ElementResult` (a top-level import would be circular)."""
    from bot.pipeline.flow.ui.flow2026 import check

    return check


async def run_check(page: Page, base_url: str, timeout: float = 10.0,
                    lang: str = "en") -> list[ElementResult]:
    """Open `base_url` (home or a project) on `page` and report every element; never submits.

    Raises `SessionExpiredError` (and the other account-level errors of the page checks) on a
    page the check cannot judge. A page with no marker of the living UI is walked all the same:
    its elements are reported missing (broken).
    """
    await page.goto(pin_language(base_url, lang), wait_until="domcontentloaded")
    try:
        await detect(page, timeout)  # rendered (or redirected to a sign-in page) by now
    except NotFound:
        pass  # nothing the driver knows: the walk names each element it misses
    return await _living().walk(page, base_url, timeout, lang)


def exit_code(results: list[ElementResult]) -> int:
    """`BROKEN` when an element is missing, else `FALLBACK` when one matched only by a
    fallback, else `OK`."""
    if any(r.index is None for r in results):
        return BROKEN
    if any(r.index for r in results):
        return FALLBACK
    return OK


def format_results(results: list[ElementResult]) -> str:
    """One line per element, then what is broken (and the file to edit) or drifted."""
    width = max((len(r.key) for r in results), default=10)
    lines = [f"{r.stage:<16} {r.key:<{width}}  {r.status:<8} {r.selector}" for r in results]
    broken = [r.key for r in results if r.index is None]
    drift = [r.key for r in results if r.index]
    if broken:
        lines.append(f"BROKEN: {', '.join(broken)} (edit {_living().REGISTRY_FILE})")
    if drift:
        lines.append(f"DRIFT (covered by fallbacks): {', '.join(drift)}")
    if not broken and not drift:
        lines.append("all elements matched their primary selector")
    return "\n".join(lines)
