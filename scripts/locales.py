"""Refresh the bot's gettext catalogues: extract msgids, merge them into each .po, compile .mo.

Run with `make locales` after changing a text in bot/telegram/texts.py (or another file listed
in SOURCES); then translate the new/fuzzy entries of bot/locales/{ru,vi}/LC_MESSAGES/messages.po
and run it again to compile. tests/telegram/test_locales.py fails while anything is missing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "bot" / "locales"
POT = LOCALES / "messages.pot"
SOURCES = ["bot/telegram/texts.py", "bot/telegram/keyboards.py", "bot/handlers/language.py"]
LANGS = ["ru", "vi"]  # English is the source language: msgids are the English texts


def pybabel(*args: str) -> None:
    """Run Babel's command line (installed with the project) from the repository root."""
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT, check=True)


def main() -> None:
    """Extract, update (creating a missing language), compile."""
    pybabel("extract", "-k", "N_", "-k", "_", "--no-location", "--omit-header", "--sort-output",
            "-o", str(POT), *SOURCES)
    for lang in LANGS:
        po = LOCALES / lang / "LC_MESSAGES" / "messages.po"
        if po.exists():
            pybabel("update", "-i", str(POT), "-d", str(LOCALES), "-l", lang, "--no-wrap",
                    "--ignore-obsolete")
        else:
            pybabel("init", "-i", str(POT), "-d", str(LOCALES), "-l", lang, "--no-wrap")
    pybabel("compile", "-d", str(LOCALES), "--statistics")


if __name__ == "__main__":
    main()
