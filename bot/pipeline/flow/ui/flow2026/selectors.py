"""SELECTORS ARE DATA: every element of flow.google.com (FLOW_2026.md §2–§9) the driver touches.

Order inside each entry (FLOW_2026 §1: every word on the page follows the account's language):
custom element tags, stable classes and `mat-icon` ligatures first; English role names second
(the driver pins English with `hl=` + Accept-Language, but an account may ignore it); visible
text last. Numbers (durations, counts, resolutions) are matched as numbers, never as words.
`flowbot flow check` can enumerate this registry; a UI change should touch only this file.
"""

from __future__ import annotations

from bot.pipeline.flow.locate import Sel, css, role, text


def lig(element: str, ligature: str) -> Sel:
    """`element` (CSS) holding a `mat-icon` whose ligature is `ligature`."""
    return css(f'{element}:has(mat-icon:text-is("{ligature}"))')


SELECTORS: dict[str, list[Sel]] = {
    # --- overlays that swallow clicks (§3); `popup_dismiss` is tried whenever a click misses ----
    "cookie_accept": [css("#glue-cookie-notification-bar-1 button.glue-cookie-notification-bar__accept"),
                      css("button.glue-cookie-notification-bar__accept")],
    "agent_panel_close": [lig("flow-agent-panel button", "close"),
                          css("flow-agent-panel button[aria-label=Close]")],
    "changelog_close": [lig("mat-dialog-container button", "close"),
                        lig("[role=dialog] button", "close")],
    "popup_dismiss": [
        css("button.glue-cookie-notification-bar__accept"),
        lig("flow-agent-panel button", "close"),
        lig("mat-dialog-container button", "close"),
        lig("[role=dialog] button", "close"),
        role("button", r"^Get started$"),
    ],
    # --- home (§2) ----------------------------------------------------------------------------
    "new_project": [css("button.new-project-button"),
                    css("xpath=//button[.//mat-icon[normalize-space()='add']]"
                        "[not(ancestor::flow-agent-panel)][not(ancestor::flow-prompt-box)]"),
                    role("button", r"New project")],
    "account_button": [css(".header-user-button[role=button]"), css(".header-user-button"),
                       role("button", r"Account details")],
    "credits_link": [css("a.credits-link"), css('a[href*="credit" i]'), role("link", r"Google Flow credits"),
                     text(r"\d[\d,.]*\s*\S*\s*credits")],
    "account_panel_close": [lig(".account-panel button", "close"), role("button", r"Close account panel"),
                            css("[role=dialog] button[aria-label*=Close i]")],
    # --- composer (§4) ------------------------------------------------------------------------
    # The normal composer (agent mode swaps it for `flow-creative-agent-prompt-box` inside the
    # same `flow-prompt-box`, so the outer box says nothing about the mode).
    "prompt_box": [css("flow-base-prompt-box"), css("flow-prompt-box:not(:has(flow-creative-agent-prompt-box))")],
    "agent_prompt_box": [css("flow-creative-agent-prompt-box")],
    "editor": [css("flow-prompt-box div.ProseMirror[contenteditable=true]"),
               css("div.ProseMirror[contenteditable=true]")],
    "agent_chip": [css("flow-agent-mode-toggle-chip button.agent-mode-chip"),
                   css("button.agent-mode-chip")],
    "settings_trigger": [css("flow-prompt-box button.settings-trigger-button"),
                         css("button.settings-trigger-button"), role("button", r"^Settings trigger$")],
    "settings_summary": [css("button.settings-trigger-button .settings-summary"),
                         css("button.settings-trigger-button")],
    "submit": [css("flow-generate-icon-button button.generate-icon-button"),
               lig("flow-prompt-box button[type=submit]", "arrow_forward"),
               role("button", r"^Start generation$")],
    "prompt_warning": [css("button.prompt-warning-button"), role("button", r"Insufficient credits")],
    "price": [css("flow-credit-cost-label a.credit-cost-link"), css("a.credit-cost-link")],
    # --- settings popover (§5) ----------------------------------------------------------------
    "settings_panel": [css(".cdk-overlay-pane flow-prompt-box-settings"), css("flow-prompt-box-settings")],
    "model_trigger": [css("flow-prompt-box-settings button:has(.model-select-trigger-content)"),
                      role("button", r"Select model family")],
    "model_menu": [css("div[role=menu].flow-model-picker-panel"), css(".flow-model-picker-panel")],
    # Omni 1.2's duration (FLOW_2026 Dec. 3: an Angular Material mat-slider over a native range
    # input; markup L): the input is what takes focus and keys.
    "duration_slider": [css("flow-prompt-box-settings mat-slider input[type=range]"),
                        css("flow-prompt-box-settings input[type=range]")],
    # --- start / end frame (§6) ---------------------------------------------------------------
    "frame_chips": [css("flow-ingredient-bar div.frame-trigger")],
    "add_media_menu": [css("xpath=//button[.//mat-icon[normalize-space()='add']]"
                           "[not(ancestor::flow-prompt-box)][not(ancestor::flow-agent-panel)]"
                           "[not(contains(@class,'empty-chip'))][not(contains(@class,'add-menu-trigger'))]"),
                       role("button", r"^Add media menu$")],
    "menu_upload": [lig("[role=menu] [role=menuitem]", "upload"), role("menuitem", r"^Upload$")],
    "consent_dialog": [css("flow-upload-consent-dialog")],
    "consent_agree": [css("flow-upload-consent-dialog .agree-actions-group button:last-child"),
                      role("button", r"^I agree$")],
    "consent_cancel": [css("flow-upload-consent-dialog .agree-actions-group button:first-child"),
                       role("button", r"^Cancel$")],
    "picker": [css(".cdk-overlay-pane flow-add-menu-popover-content"), css("flow-add-menu-popover-content")],
    "picker_search": [css("flow-add-menu-popover-content input[type=text]"), role("textbox", r"Search assets")],
    "picker_option": [css("flow-add-menu-popover-content button.asset-item[role=option]"),
                      css("flow-add-menu-popover-content [role=option]")],
    "add_to_prompt": [css("button.detail-add-to-prompt-btn"), role("button", r"^Add to prompt$")],
    # --- grid, tiles, downloads (§8, §9) ------------------------------------------------------
    "grid": [css("div.cdk-virtual-scrollable.page-container"), css(".cdk-virtual-scrollable")],
    "tile": [css("flow-grid-tile-container")],
    "tile_more": [lig("flow-video-hotbar button", "more_vert"), lig("flow-hotbar-container button", "more_vert"),
                  role("button", r"^More options$")],
    "menu_download": [lig("[role=menu] [role=menuitem]", "download"), role("menuitem", r"^Download$")],
    "menu_items": [css("[role=menu] [role=menuitem]")],
    "download_media": [lig("button", "download"), role("button", r"^Download media$")],
    "tile_retry": [lig("flow-error-tile button", "refresh"), lig("flow-error-tile button", "replay"),
                   role("button", r"^Retry$")],
}

# Structural strings used in page scripts (kept here so a UI change stays in this file).
SETTINGS_PANEL_CSS = "flow-prompt-box-settings"
RADIOGROUP_CSS = "[role=radiogroup]"
RADIO_CSS = "[role=radio]"
MENUITEM_CSS = "[role=menuitem]"
CHIP_IMAGE_CSS = "button.chip-container img, flow-image-ingredient-chip img, img"
CHIP_REMOVE_CSS = 'mat-icon:text-is("cancel")'
GRID_CSS = ".cdk-virtual-scrollable"
TILE_CSS = "flow-grid-tile-container"
THUMB_CSS = "img.thumbnail"
ERROR_TILE_CSS = "flow-error-tile"
ERROR_REASON_CSS = ".error-message-text"
WIRE_GLOB = "**/data/batchexecute*"
UPLOAD_IMG_CSS = 'img[data-media-id="{mid}"]'
UPLOAD_IMG_ANY_CSS = "img[data-media-id]"  # the library's image tiles (alt = the file name)

# Settings groups are told apart by their ligatures or by the shape of their numbers.
MEDIA_LIGATURES = {"video": "videocam", "image": "image"}
INPUT_LIGATURES = {"frames": "crop_free", "ingredients": "chrome_extension"}
ASPECT_LIGATURES = {"16:9": "crop_16_9", "9:16": "crop_9_16"}
RESOLUTION_RE = r"^\s*(\d{3,4})\s*p\s*$"
COUNT_RE = r"^\s*[x×]\s*([1-4])\s*$"
DURATION_RE = r"^\s*(\d{1,2})\s*\D{0,8}$"  # 4s · 4 giây · 4초: the number is what counts
PRICE_RE = r"(\d[\d,.]*)"
PLAN_RE = r"\b(FREE|PRO|ULTRA)\b"
UPLOADING_RE = r"uploading|\d{1,2}\s*%"  # an asset still uploading (never confirm it)

# Model menu labels are product names (not translated). A label matches when it equals the
# model, so "Veo 3.1 - Lite" never picks "Veo 3.1 - Lite [Lower Priority]". What a billed model
# key must say for a label is decided by the key grammar (`bot/pipeline/flow/modelkeys.py`).

# A finished tile's poster carries its media id (flow_wire README "In the page", M; for video
# tiles ASSUMPTION L). Pending and failed tiles carry none: read by title or prompt instead.
TILE_ID_JS_ATTR = "data-media-id"
TILE_ID_CSS = "[data-media-id]"

# Refusals: the reason a status row names (`PUBLIC_ERROR_…`, flow_wire README) → our error code.
# Only MODEL_ACCESS_DENIED and UNUSUAL_ACTIVITY are seen in public code (M); the rest are
# flowsim's ASSUMPTIONS (docs/flowsim-2026-contract.md) and fall back to the message text.
REFUSAL_REASONS = {
    "PUBLIC_ERROR_UNUSUAL_ACTIVITY": "unusual_activity",
    "PUBLIC_ERROR_TOO_MANY_GENERATIONS": "slots_full",
    "PUBLIC_ERROR_RATE_LIMITED": "too_quickly",
    "PUBLIC_ERROR_INSUFFICIENT_CREDITS": "credits",
    "PUBLIC_ERROR_MODEL_ACCESS_DENIED": "model_denied",
    "PUBLIC_ERROR_MODEL_RETIRED": "model_denied",  # a retired model named by a stale page
}
# Chrome's translator has rewritten the page (FLOW_2026 Dec. 7: translate bar on non-English
# pages): its marks on <html>.
TRANSLATED_JS = "() => /\\btranslated-(ltr|rtl)\\b/.test(document.documentElement.className)"
# A status code alone (no reason): 5 = the model key is unknown to Flow (M).
REFUSAL_STATUSES = {5: "model_denied"}
UPLOAD_REFUSALS = {
    "PUBLIC_ERROR_UPLOAD_MINOR": "upload_minor",
    "PUBLIC_ERROR_UPLOAD_FACE": "upload_face",
    "PUBLIC_ERROR_UPLOAD_CONSENT_REQUIRED": "upload_consent_required",
}
