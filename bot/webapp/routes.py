"""The gallery's HTTP routes: the page, its JSON API, and signed media.

* `/gallery/` and `/gallery/static/…`: plain files (no build step), public: they hold no data.
* `/api/…`: every request carries Telegram's init data (`Authorization: tma …`), checked each
  time (`auth.check_init_data`): 401 when forged, stale or missing; 403 for a user the bot does
  not serve, or for a batch that is neither theirs nor an admin's to see. Actions go through
  the services the chat's buttons call (`ReviewService`, `BatchService`: ownership, budgets,
  audit rows, idempotency), then the chat is redrawn as a button tap would redraw it.
* `/media/<clip>/<kind>?e=…&s=…`: signed short-lived links only (`links.MediaSigner`).

Every input is bounded before use: ids are ASCII digits of bounded length (the route patterns),
bodies are small JSON objects (`MAX_BODY`), selections at most `MAX_SELECTION` ids. A refused
request changes nothing: checks come before the first write.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiohttp import web

from bot.config import PRESETS
from bot.handlers.review import upscale_reply, zip_reply
from bot.services.batches import (
    BatchError,
    BudgetExceededError,
    NotFoundError,
    NotYourBatchError,
)
from bot.services.review import MAX_SELECTION
from bot.telegram import texts
from bot.telegram.callbacks import MAX_ID
from bot.telegram.i18n import i18n, pick_locale
from bot.telegram.intake import IntakeRejected, check_prompt
from bot.webapp.auth import AuthError, WebUser, check_init_data, init_data_from
from bot.webapp.views import Gallery, page_texts, plain, summaries

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = 16 * 1024     # a selection of MAX_SELECTION ids is ~8 KB of JSON
ID = r"[0-9]{1,15}"
# The page loads Telegram's script (telegram.org) and nothing else from outside; R2 links are
# https. Telegram's clients show Mini Apps in a webview or in web.telegram.org's iframe.
CSP = ("default-src 'self'; script-src 'self' https://telegram.org; style-src 'self'; "
       "img-src 'self' data: https:; media-src 'self' https:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
USER = web.RequestKey("user", WebUser)  # the checked user of this request


@dataclass
class Deps:
    """What the routes need: the gallery's view model, services, the notifier (chat redraws)."""

    gallery: Gallery
    token: str
    users: Any
    notifier: Any


DEPS = web.AppKey("deps", Deps)


class Refused(Exception):
    """An API request answered with `status` and a page text (`key` of GALLERY_PAGE) or a
    ready sentence (`message`)."""

    def __init__(self, status: int, key: str, message: str | None = None) -> None:
        super().__init__(key)
        self.status, self.key, self.message = status, key, message


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers={"Cache-Control": "no-store"},
                             dumps=lambda v: json.dumps(v, ensure_ascii=False))


@web.middleware
async def api_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Check the init data of every /api request and set the user's locale; word refusals."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    deps = request.app[DEPS]
    gallery = deps.gallery
    try:
        user = check_init_data(deps.token, init_data_from(request.headers.get("Authorization")),
                               now=gallery.clock.now(),
                               max_age_s=gallery.settings.webapp.init_data_max_age_s)
    except AuthError as err:
        log.info("gallery request refused (401): %s", err)  # the reason, never the data
        with i18n.use_locale("en"):
            return _json({"error": "auth", "message": page_texts()["auth"]}, 401)
    locale = pick_locale(await deps.users.language(user.id), user.language_code)
    with i18n.use_locale(locale):
        if await deps.users.role_of(user.id) is None:
            return _json({"error": "forbidden", "message": texts.PRIVATE_BOT}, 403)
        request[USER] = user
        try:
            return await handler(request)
        except Refused as err:
            return _json({"error": err.key, "message": err.message or page_texts().get(err.key, err.key)},
                         err.status)
        except BudgetExceededError as err:
            c = err.check
            return _json({"error": "budget", "message": plain(texts.budget_refused(
                c.cost, c.left, c.budget.period))}, 409)
        except NotFoundError:
            return _json({"error": "not_found", "message": page_texts()["not_found"]}, 404)
        except NotYourBatchError:
            return _json({"error": "forbidden", "message": page_texts()["forbidden"]}, 403)
        except BatchError as err:
            return _json({"error": "refused", "message": plain(texts.batch_error(err))}, 409)


# -- reading ------------------------------------------------------------------------------------

async def list_batches(request: web.Request) -> web.Response:
    """GET /api/batches: the user's recent batches, and the page's words."""
    deps, user = request.app[DEPS], request[USER]
    rows = await deps.gallery.batches.list_for_user(user.id, limit=20)
    return _json({"batches": summaries(rows), "texts": page_texts()})


async def get_batch(request: web.Request) -> web.Response:
    """GET /api/batches/{id}: the batch (owner or admin), with the page's words on ?t=1."""
    deps, user = request.app[DEPS], request[USER]
    view = await _visible(request)
    data = await deps.gallery.batch(view, may_act=view.user_id == user.id)
    if request.query.get("t") == "1":
        data["texts"] = page_texts()
    return _json(data)


async def _visible(request: web.Request) -> Any:
    """The batch of the path if this user may see it (its owner, or an admin)."""
    deps, user = request.app[DEPS], request[USER]
    batch_id = _bounded_id(request.match_info["batch_id"])
    view = await deps.gallery.batches.get(batch_id)
    if view is None:
        raise Refused(404, "not_found")
    if view.user_id != user.id and not deps.users.is_admin(user.id):
        raise Refused(403, "forbidden")
    return view


def _bounded_id(raw: str) -> int:
    value = int(raw)  # the route pattern already allows only 1-15 ASCII digits
    if value > MAX_ID:
        raise Refused(404, "not_found")
    return value


# -- acting (owner only: the services refuse anyone else) --------------------------------------

async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise Refused(413, "bad", texts.GALLERY_BAD_REQUEST)
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise Refused(413, "bad", texts.GALLERY_BAD_REQUEST)
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "bad", texts.GALLERY_BAD_REQUEST) from None
    if not isinstance(body, dict):
        raise Refused(400, "bad", texts.GALLERY_BAD_REQUEST)
    return body


def _int(value: Any, high: int = MAX_ID) -> int:
    # bool is an int in Python; JSON's true must not pass as 1.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise Refused(400, "bad", texts.GALLERY_BAD_REQUEST)
    return value


def _clip_ids(body: dict[str, Any]) -> list[int]:
    ids = body.get("clip_ids")
    if not isinstance(ids, list) or len(ids) > MAX_SELECTION:
        raise Refused(400, "bad", texts.GALLERY_BAD_REQUEST)
    return [_int(i) for i in ids]


async def _select(request: web.Request, body: dict[str, Any], *,
                  needed: bool = False) -> tuple[Any, int]:
    """Check the batch and make the page's choice the batch's selection (as ☐/✅ taps do);
    `needed`: an empty choice is refused before anything is written."""
    deps, user = request.app[DEPS], request[USER]
    view = await _visible(request)
    ids = _clip_ids(body)
    if needed and not ids:
        raise Refused(409, "select_first")
    await deps.gallery.review.set_selection(view.id, user.id, ids)
    return view, len(ids)


async def save_selection(request: web.Request) -> web.Response:
    """POST /api/batches/{id}/selection {clip_ids}: the selection, shown in the chat too."""
    body = await _body(request)
    view, count = await _select(request, body)
    await _redraw(request, view.id)
    return _json({"ok": True, "message": texts.GALLERY_SELECTION_SAVED.format(count=count)})


async def upscale(request: web.Request) -> web.Response:
    """POST …/upscale {clip_ids, preset}: 4K of the selection, as the view's preset buttons."""
    body = await _body(request)
    preset = body.get("preset")
    if preset not in PRESETS:
        raise Refused(400, "bad", texts.OPTION_MISSING)
    deps, user = request.app[DEPS], request[USER]
    view, _count = await _select(request, body, needed=True)
    queued = await deps.gallery.batches.request_upscale(view.id, user.id, preset)
    after = await deps.gallery.batches.get(view.id, user.id)
    await _redraw(request, view.id)
    return _json({"ok": bool(queued), "message": plain(upscale_reply(after or view, preset, queued))})


async def make_zip(request: web.Request) -> web.Response:
    """POST …/zip {clip_ids, resolution}: a zip of the selection (or of every ready clip)."""
    body = await _body(request)
    resolution = body.get("resolution")
    if resolution not in ("720p", "4k"):
        raise Refused(400, "bad", texts.OPTION_MISSING)
    deps, user = request.app[DEPS], request[USER]
    view, _count = await _select(request, body)
    export_id = await deps.gallery.batches.request_export(view.id, user.id, resolution)
    after = await deps.gallery.batches.get(view.id, user.id)
    await _redraw(request, view.id)
    return _json({"ok": export_id is not None, "export_id": export_id,
                  "message": plain(zip_reply(after or view, resolution, export_id))})


async def flow_1080(request: web.Request) -> web.Response:
    """POST …/flow1080 {clip_ids}: Flow's free 1080p of the selection."""
    body = await _body(request)
    deps, user = request.app[DEPS], request[USER]
    view, _count = await _select(request, body, needed=True)
    queued = await deps.gallery.batches.request_flow_1080p(view.id, user.id)
    await _redraw(request, view.id)
    message = texts.FLOW1080_ASKED.format(n=queued) if queued else texts.FLOW1080_ALREADY
    return _json({"ok": bool(queued), "message": plain(message)})


async def again_quote(request: web.Request) -> web.Response:
    """POST …/again/quote {item_id}: what Again / New prompt would cost, and its ticket."""
    body = await _body(request)
    deps, user = request.app[DEPS], request[USER]
    view = await _visible(request)
    item = _item(view, body)
    if view.user_id != user.id:
        raise NotYourBatchError("batch_not_yours")
    review = deps.gallery.review
    cost, ticket = await review.cost(item.id), await review.again_ticket(item.id)
    image = (await review.images(view.id)).get(item.id, item.position)
    return _json({"cost": cost, "ticket": ticket, "confirm": plain(texts.spend_confirm(cost)),
                  "message": plain(texts.AGAIN_COST.format(image=image, cost=cost))})


async def again(request: web.Request) -> web.Response:
    """POST …/again {item_id, ticket, prompt?}: new clips of an image once its cost was shown;
    the ticket makes a second tap of the same confirmation do nothing."""
    body = await _body(request)
    deps, user = request.app[DEPS], request[USER]
    view = await _visible(request)
    item = _item(view, body)
    ticket = _int(body.get("ticket"), 9999)
    prompt = body.get("prompt")
    if prompt is not None:
        if not isinstance(prompt, str) or len(prompt) > 4 * texts.MAX_PROMPT_CHARS:
            raise Refused(400, "bad", texts.GALLERY_PROMPT_BAD)
        try:
            prompt = check_prompt(prompt)
        except IntakeRejected as err:
            raise Refused(400, "bad", plain(texts.batch_error(err))) from None
    review = deps.gallery.review
    made = await review.again(view.id, user.id, item.id, ticket, prompt=prompt)
    image = (await review.images(view.id)).get(item.id, item.position)
    if made:
        await _redraw(request, view.id, state=True)
        message = texts.NEW_PROMPT_MADE if prompt else texts.AGAIN_MADE.format(image=image)
    else:
        message = texts.ALREADY_ASKED
    return _json({"ok": bool(made), "item_id": made, "message": plain(message)})


def _item(view: Any, body: dict[str, Any]) -> Any:
    item_id = _int(body.get("item_id"))
    item = next((i for i in view.items if i.id == item_id), None)
    if item is None:
        raise Refused(404, "bad", texts.batch_error(NotYourBatchError("image_not_in_batch")))
    return item


async def _redraw(request: web.Request, batch_id: int, *, state: bool = False) -> None:
    """Show the change in the chat as a button tap would: the review view (throttled like the
    pipeline's redraws), and after Again the batch's card and progress."""
    notifier = request.app[DEPS].notifier
    if notifier is None:
        return
    try:
        view_state = await notifier.review.state(batch_id)
        if view_state is not None and view_state.message_id is not None:
            await notifier.viewer.refresh(batch_id, notifier.edit_interval_s)
        if state:
            await notifier.show_batch_state(batch_id)
    except TelegramAPIError as err:  # the request was done; the chat catches up on its next redraw
        log.warning("chat not redrawn after a gallery request on batch %s: %s", batch_id, err)


# -- media --------------------------------------------------------------------------------------

async def media(request: web.Request) -> web.StreamResponse:
    """GET /media/{clip}/{kind}?e=…&s=…: the file, when the link is ours and not expired."""
    gallery = request.app[DEPS].gallery
    clip_id = gallery.signer.check(request.match_info["clip_id"], request.match_info["kind"],
                                   request.query.get("e"), request.query.get("s"),
                                   now=gallery.clock.now())
    if clip_id is None:
        return web.Response(status=403, text="link not valid")
    found = await gallery.review.media_of(clip_id)
    kind = request.match_info["kind"]
    source = found.paths.get("720" if kind == "poster" else kind) if found is not None else None
    if source is None or not source.is_file():
        return web.Response(status=404, text="no such file")
    if kind == "poster":
        poster = await gallery.posters.get(source)
        if poster is None:
            return web.Response(status=404, text="no poster")
        source = poster
    headers = {"Cache-Control": f"private, max-age={gallery.signer.ttl_s}",
               "X-Content-Type-Options": "nosniff"}
    return web.FileResponse(source, headers=headers)


# -- the page -----------------------------------------------------------------------------------

async def page(request: web.Request) -> web.StreamResponse:
    """GET /gallery/: the page (the same file for every batch; its script reads ?batch=)."""
    return web.FileResponse(STATIC / "index.html", headers={
        "Content-Security-Policy": CSP, "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


async def to_page(request: web.Request) -> web.StreamResponse:
    """GET /gallery: the page lives at /gallery/ (relative links resolve from there)."""
    raise web.HTTPMovedPermanently("/gallery/" + (f"?{request.query_string}" if request.query_string else ""))


@web.middleware
async def static_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Static files: short caching and no sniffing (they change only with a new release)."""
    response = await handler(request)
    if request.path.startswith("/gallery/static/"):
        response.headers["Cache-Control"] = "public, max-age=300"
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def add_routes(app: web.Application) -> None:
    """Every route of the gallery on `app`."""
    app.router.add_get("/gallery", to_page)
    app.router.add_get("/gallery/", page)
    app.router.add_static("/gallery/static/", STATIC, show_index=False, follow_symlinks=False)
    app.router.add_get("/api/batches", list_batches)
    app.router.add_get(f"/api/batches/{{batch_id:{ID}}}", get_batch)
    app.router.add_post(f"/api/batches/{{batch_id:{ID}}}/selection", save_selection)
    app.router.add_post(f"/api/batches/{{batch_id:{ID}}}/upscale", upscale)
    app.router.add_post(f"/api/batches/{{batch_id:{ID}}}/zip", make_zip)
    app.router.add_post(f"/api/batches/{{batch_id:{ID}}}/flow1080", flow_1080)
    app.router.add_post(f"/api/batches/{{batch_id:{ID}}}/again/quote", again_quote)
    app.router.add_post(f"/api/batches/{{batch_id:{ID}}}/again", again)
    app.router.add_get(f"/media/{{clip_id:{ID}}}/{{kind:poster|720|1080|4k}}", media)


__all__ = ["DEPS", "Deps", "add_routes", "api_guard", "static_headers"]
