"""The Telegram side of flowbot. Nothing here touches SQL or the queue: services do.

* `resilience.ResilientRequests` – aiogram session middleware: 429 waits, 5xx/network retries,
  per-chat FIFO ordering. Every Bot API call goes through it.
* `middlewares` – `ButtonOrderMiddleware` (button presses of a user in order),
  `AccessMiddleware` (strangers turned away, `role` injected), `ServicesMiddleware` (DI).
* `callbacks` – `CallbackData` factories (ids only, far below 64 bytes); `keyboards`; `texts`.
* `intake` – file checks (Pillow), prompts files, and `IntakeCollector` (albums → one batch).
* `cards` – the batch card and progress texts; `notifier.TelegramNotifier` – the pipeline's
  `Notifier`: throttled progress edits, previews with review buttons, 4K/zip delivery, alerts.

`bot/telegram_app.py` wires these with the routers of `bot/handlers/`.
"""
