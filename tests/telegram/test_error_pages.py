"""Issue 12 #9: a Bot API answer that is an HTML error page (Telegram's front end during an
outage) is retried like a 5xx, a bounded number of times, through the real bot's session."""

from __future__ import annotations

from tests.handlers.harness import ANN, bot_settings, last_with, running_bot


async def test_html_error_page_answer_is_retried_like_a_5xx(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        app.requests.backoff_base_s = 0.01
        telegram.fail_next("sendMessage", status=502, count=2, html=True)
        await telegram.send_command(ANN, "/help")
        await telegram.wait_for(lambda t: last_with(t, ANN, "How to use me"), timeout=15)
        pages = [c for c in telegram.calls if c.method.lower() == "sendmessage" and c.status == 502]
        assert len(pages) == 2
        assert app.requests.retries == 2


async def test_html_error_page_retries_are_bounded(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        app.requests.backoff_base_s = 0.01
        bound = app.requests.max_retries
        telegram.fail_next("sendMessage", status=504, count=bound + 3, html=True)
        await telegram.send_command(ANN, "/help")
        await telegram.wait_for(lambda t: len([c for c in t.calls if c.status == 504]) >= bound + 1)
        # The outage outlasts the bound: the bot gives up on that message and stays alive.
        await telegram.send_command(ANN, "/help")
        await telegram.wait_for(lambda t: last_with(t, ANN, "How to use me"), timeout=15)
        pages = [c for c in telegram.calls if c.status == 504]
        assert len(pages) == bound + 3  # bound+1 tries of the first message, 2 of the second
        assert app.requests.retries == bound + 2
