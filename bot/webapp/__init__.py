"""The gallery Mini App (issue 21): every clip of a batch at once, inside Telegram.

An aiohttp app in the bot's own process (`server.GalleryServer`, started and stopped by
`BotApp`), reached by Telegram through the HTTPS `WEBAPP_PUBLIC_URL`. It sits beside
`bot/handlers/` (a second front end) and calls the same services the chat's buttons call.

* `auth.py`: Telegram's init data, checked on every API request (aiogram's implementation,
  plus a freshness limit on `auth_date`).
* `links.py`: short-lived signed media links (or R2's presigned URLs).
* `posters.py`: one poster frame per clip, made once with FFmpeg.
* `views.py`: a batch as the page's JSON.
* `routes.py`: the page, the API and the media routes.
* `static/`: the page itself, plain HTML/CSS/JS with no build step.
"""
