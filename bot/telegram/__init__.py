"""The Telegram side of flowbot: middlewares, callback factories, keyboards, texts, notifier.

Handlers (`bot/handlers/`) use these pieces; nothing here touches SQL or the queue directly.
"""
