"""The gettext catalogues are complete and consistent (issue 14, languages).

Fails when a msgid the code uses lacks a Russian or Vietnamese translation, when a translation's
placeholders or HTML tags differ from the English, when the .pot misses a msgid of the sources,
or when a committed .mo is stale against its .po (`make locales` fixes the last two).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.telegram import keyboards, texts
from bot.telegram.i18n import LANGUAGES, LOCALES_DIR, i18n

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["bot/telegram/texts.py", "bot/telegram/keyboards.py", "bot/handlers/language.py"]
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]
FIELD = re.compile(r"\{[^{}]*\}")
TAG = re.compile(r"</?[a-z]+[^>]*>")


def catalog(lang: str):
    with open(LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def source_msgids() -> set[str]:
    found = set()
    for source in SOURCES:
        for _line, message, _comments, _context in extract_from_file(
                "python", ROOT / source, keywords={"_": None, "N_": None, "ngettext": (1, 2)}):
            found.add(message)  # a (singular, plural) tuple for ngettext
    return found


def test_sources_are_extracted_into_the_template():
    with open(LOCALES_DIR / "messages.pot", "rb") as f:
        template = {m.id for m in read_po(f) if m.id}
    template |= {t[0] for t in template if isinstance(t, tuple)}
    missing = source_msgids() - template
    assert not missing, f"run `make locales`: not in messages.pot: {sorted(missing)[:5]}"
    assert set(texts.msgids()) <= template


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_msgid_is_translated_with_the_same_placeholders_and_tags(lang):
    po = catalog(lang)
    assert not po.fuzzy, f"{lang}: the catalogue is marked fuzzy (gettext would skip it)"
    problems = []
    for msgid in sorted(source_msgids(), key=str):
        english = msgid if isinstance(msgid, tuple) else (msgid,)
        message = po.get(english[0])
        forms = message.string if message is not None else ""
        forms = forms if isinstance(forms, tuple) else (forms,)
        if message is None or message.fuzzy or not all(forms) \
                or len(forms) != (po.num_plurals if len(english) > 1 else 1):
            problems.append(f"missing: {english[0][:60]!r}")
            continue
        for form in forms:  # every plural form carries every placeholder and tag
            if Counter(FIELD.findall(english[-1])) != Counter(FIELD.findall(form)):
                problems.append(f"placeholders differ: {english[0][:60]!r}")
            if Counter(TAG.findall(english[-1])) != Counter(TAG.findall(form)):
                problems.append(f"HTML tags differ: {english[0][:60]!r}")
    assert not problems, f"{lang}: " + "; ".join(problems[:10])


@pytest.mark.parametrize("lang", TRANSLATED)
def test_committed_mo_matches_its_po(lang):
    compiled = io.BytesIO()
    write_mo(compiled, catalog(lang))
    committed = (LOCALES_DIR / lang / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert committed == compiled.getvalue(), f"{lang}: messages.mo is stale, run `make locales`"


def test_texts_follow_the_current_locale():
    assert texts.STARTED.format(id=7) == "▶️ Batch #7 started."
    assert texts.what_images(2, texts.outputs_each(1)) == "🖼 2 images · 1 video each"
    with i18n.use_locale("ru"):
        assert texts.what_images(5, texts.outputs_each(2)) == "🖼 5 изображений · 2 видео на каждое"
        assert texts.what_images(3, "x") == "🖼 3 изображения · x"
        assert texts.STARTED.format(id=7) == "▶️ Пакет #7 запущен."
        assert texts.CARD_STATUS["draft"] == "📝 Готов к запуску"
        assert "1800" in texts.PROMPT_LONG and "{n}" in texts.PROMPT_LONG
    with i18n.use_locale("vi"):
        assert texts.STARTED.format(id=7) == "▶️ Đã bắt đầu lô #7."
        assert [c.description for c in keyboards.commands("vi")][-1] == \
            "Hủy hội thoại hoặc lô hiện tại"
    assert texts.STARTED.format(id=7) == "▶️ Batch #7 started."


def test_every_text_the_code_reads_exists():
    # `texts.NAME` is resolved at run time (module __getattr__), so a typo would only fail when
    # that answer is due: check every name the code reads.
    used = set()
    for path in (ROOT / "bot").rglob("*.py"):
        used |= set(re.findall(r"\btexts\.([A-Z][A-Z0-9_]+)\b", path.read_text(encoding="utf-8")))
    used.discard("NAME")  # the docstrings' example
    missing = sorted(name for name in used if not hasattr(texts, name))
    assert not missing, missing


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_msgid_texts_reads_is_translated(lang):
    # texts.msgids() lists every table the module reads at run time (messages, word tables, the
    # BatchError codes, the pipeline's known sentences and patterns): each needs a translation.
    po = catalog(lang)
    missing = [m for m in texts.msgids()
               if po.get(m) is None or po.get(m).fuzzy or not po.get(m).string]
    assert not missing, f"{lang}: run `make locales` and translate: {missing[:5]}"


def test_every_batch_error_code_is_worded_by_the_bot():
    from bot.services import batches

    raised = set()
    for name in ("bot/services/batches.py", "bot/services/review.py"):
        raised |= set(re.findall(r'raise \w*Error\("([a-z_0-9]+)"', (ROOT / name).read_text()))
    raised.add("budget")  # BudgetExceededError sets its code itself
    assert raised <= set(batches.BATCH_ERRORS), sorted(raised - set(batches.BATCH_ERRORS))
    assert set(batches.BATCH_ERRORS) <= set(texts._BATCH_ERRORS), \
        sorted(set(batches.BATCH_ERRORS) - set(texts._BATCH_ERRORS))
    # Params fill every placeholder, in every language (a missing one would fall back to English).
    err = batches.BatchError("pairs_odd", images=3)
    with i18n.use_locale("ru"):
        assert texts.batch_error(err).startswith("Для пар «начало+конец» нужно чётное число")
        assert "3" in texts.batch_error(err)
    assert texts.batch_error(err) == str(err)
    # A budget refusal caught as a plain BatchError still says how much is left, per period.
    refused = batches.BatchError("budget", cost=40, left=12, period="month")
    with i18n.use_locale("vi"):
        assert "40" in texts.batch_error(refused) and "12" in texts.batch_error(refused)
        assert texts.batch_error(refused) == texts.budget_refused(40, 12, "month")


def test_the_pipelines_english_sentences_are_known_to_the_bot():
    # Stored failure reasons and admin actions are English in the database; the bot words them
    # by exact msgid. A new FlowError (or a reworded one) without its entry fails here.
    import importlib
    import pkgutil

    import bot
    from bot.errors import FlowError
    from bot.pipeline import policy, stages

    # Every module, so that subclasses defined outside bot/errors.py (e.g. the driver's
    # DownloadIncompleteError) are seen whichever tests ran before this one.
    for mod in pkgutil.walk_packages(bot.__path__, "bot."):
        if not mod.name.endswith("__main__"):
            importlib.import_module(mod.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    known = set(texts._FIXED)
    reasons = {FlowError.user_reason} | {c.user_reason for c in subclasses(FlowError)}
    assert reasons <= known, sorted(reasons - known)[:3]
    assert set(policy.ADMIN_ACTIONS.values()) <= known
    assert stages.FALLBACK_NOTE in known
    with i18n.use_locale("vi"):
        assert texts.flow_reason(policy.user_reason_for("policy")).startswith("Flow từ chối")


def test_a_given_up_reason_is_worded_with_flows_own_words_quoted():
    from bot.config import FlowSettings
    from bot.errors import HighDemandError
    from bot.pipeline import policy

    flow = FlowSettings(_env_file=None)  # type: ignore[call-arg]
    error = HighDemandError("We are experiencing high demand")
    decision = policy.decide(error, {policy.budget_of(error): 99}, flow)
    assert decision.action == "final"
    with i18n.use_locale("ru"):
        worded = texts.flow_reason(decision.user_reason)
    assert worded.startswith("Неудачных попыток Flow:") and "We are experiencing high demand" in worded
    assert texts.flow_reason(decision.user_reason) == decision.user_reason  # English: as stored
    assert texts.flow_reason("something new from Flow") == "something new from Flow"
