"""`bot/telegram/limits.py`: cutting composed texts to Telegram's limits without breaking them.

Checked with the fake Bot API's own HTML parser (strict like Telegram's): the cut text must
parse, and its visible length must be within the limit in UTF-16 units.
"""

from __future__ import annotations

import pytest

from bot.telegram.limits import fit, fit_html, fit_plain, utf16_len
from fake_telegram.text import parse_html

SAMPLES = [
    "<b>Queue</b>\n⏸ Work is paused (admin): " + "&lt;b&gt;ünïcode 😀&lt;/b&gt; " * 400,
    '<a href="https://example.com/a?b=c&amp;d=e">' + "link text " * 600 + "</a>",
    "<b><i>" + "😀" * 3000 + "</i></b>",
    "<code>" + "x" * 5000 + "</code> tail",
    "plain & simple " * 400,
    "&#128512;" * 5000,
    "<blockquote expandable>" + "line\n" * 1200 + "</blockquote>",
]


@pytest.mark.parametrize("limit", [4096, 1024, 200, 2])
@pytest.mark.parametrize("source", SAMPLES)
def test_cut_html_parses_and_fits(source, limit):
    out = fit_html(source, limit)
    plain, _ = parse_html(out)
    assert utf16_len(plain) <= limit
    assert plain.endswith("…")
    original, _ = parse_html(source)
    assert original.startswith(plain[:-1])  # a prefix of what would have been shown


def test_texts_within_the_limit_are_untouched():
    text = "<b>Batch #1</b> · ✅ Finished\n" + "😀" * 2000  # 4,000+ units of markup, 4,000 visible
    assert fit_html(text, 4096) == text
    assert fit("a" * 200, 200, None) == "a" * 200


def test_plain_cut_never_splits_a_surrogate_pair():
    out = fit_plain("😀" * 150, 200)
    assert utf16_len(out) <= 200 and out.endswith("…")
    out.encode("utf-16-le")  # raises on a lone surrogate
