"""SELECTORS ARE DATA: every UI element the driver touches, with ordered fallbacks.

When Google moves a button, this is the only file to edit. Each element lists alternatives from
most to least specific: role + accessible name first (survives CSS churn), then the icon
ligature (`<i class="google-symbols">add_2</i>` survives relabelling), then visible text or a
structural CSS hook. `locate.py` tries them in order and reports which one matched, which is
also what `flowbot flow check` prints.

Names are regular expressions matched against accessible names / text (case-insensitive).
Later UI variants (SPEC §1.1) are covered where a fallback can: the Feb-2026 settings badge,
the contenteditable prompt, and downloads under `more_vert` → Download → 720p.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["role", "css", "icon", "text"]


@dataclass(frozen=True)
class Sel:
    """One way to find an element.

    kind "role": `role` + `name` regex; "css": a CSS (or `xpath=`) selector in `value`; "icon":
    a button-like element containing the ligature `value`; "text": an element whose text matches
    regex `value`. `has` narrows any kind to elements whose text matches that regex (for
    comboboxes, which have no accessible name from their content).
    """

    kind: Kind
    value: str = ""
    role: str = ""
    name: str = ""
    has: str = ""

    def describe(self) -> str:
        base = f"role={self.role} name=/{self.name}/" if self.kind == "role" else f"{self.kind}={self.value}"
        return base + (f" has-text=/{self.has}/" if self.has else "")


def role(role_: str, name: str = "", *, has: str = "") -> Sel:
    return Sel("role", role=role_, name=name, has=has)


def css(value: str, *, has: str = "") -> Sel:
    return Sel("css", value, has=has)


def icon(ligature: str) -> Sel:
    return Sel("icon", ligature)


def text(pattern: str) -> Sel:
    return Sel("text", pattern)


MODE_NAMES = r"Text to Video|Frames to Video|Ingredients to Video|Create Image"

SELECTORS: dict[str, list[Sel]] = {
    # --- home / project -----------------------------------------------------------------
    "new_project": [role("button", r"New project"), icon("add_2"), text(r"^\s*New project\s*$")],
    "landing_start": [role("button", r"Create with Flow"), text(r"^\s*Create with Flow\s*$")],
    # Welcome/promo popups only: never "Cancel"/"Agree" of the upload dialogs.
    "popup_dismiss": [
        role("button", r"^(?:\S+ )?(?:Got it|Skip)$"),
        css("[role=dialog] button[aria-label=Close]"),
        css("[role=dialog] button", has=r"^\s*(Got it|Skip|Close)\s*$"),
    ],
    "credits": [css("[data-credits]"), text(r"^\s*[\d,]+\s+credits?\s*$")],
    # --- mode -----------------------------------------------------------------------------
    "mode_combobox": [
        role("combobox", has=MODE_NAMES),  # comboboxes get no accessible name from content
        role("combobox", MODE_NAMES),
        css("button[aria-haspopup=listbox]", has=MODE_NAMES),
    ],
    "mode_frames": [role("option", r"Frames to Video"), icon("photo_spark"),
                    text(r"^\s*(?:photo_spark\s*)?Frames to Video\s*$")],
    # --- start frame ----------------------------------------------------------------------
    "start_slot": [
        # Empty slots are named by their `add` icon; the start slot comes first in the DOM.
        role("button", r"^(?:add|Start frame|First frame)$"),
        # The slot right before the swap_horiz button is the start frame, empty or filled.
        css("xpath=//button[following-sibling::button[1][.//i[normalize-space()='swap_horiz']]]"),
        icon("add"),
    ],
    "file_input": [css("input[type=file][accept*=image]"), css("input[type=file]")],
    "crop_save": [role("button", r"Crop and Save"), text(r"^\s*Crop and Save\s*$")],
    "notice_agree": [role("button", r"^(?:\S+ )?Agree$"),
                     css("[role=dialog] button", has=r"^\s*Agree\s*$")],
    "start_frame_image": [
        role("img", r"^(?:Start|First) frame$"),
        css("img[alt*='start frame' i], img[alt*='first frame' i]"),
        css("xpath=//button[following-sibling::button[1][.//i[normalize-space()='swap_horiz']]]//img"),
    ],
    # --- settings -------------------------------------------------------------------------
    "settings_button": [
        role("button", r"^tune\b|Settings"),
        icon("tune"),
        # Feb-2026: a badge showing the model / count, opening the same dialog.
        css("button[aria-haspopup=dialog]", has=r"Veo|\bx[1-4]\b|\b[1-4]x\b"),
    ],
    "settings_dialog": [role("dialog", r"Settings"), css("[role=dialog]:has([role=combobox])")],
    "aspect_combobox": [role("combobox", r"Aspect Ratio"), text(r"^\s*(?:Landscape|Portrait) \(")],
    "outputs_combobox": [role("combobox", r"Outputs per prompt"), role("combobox", r"Outputs")],
    "model_combobox": [role("combobox", r"^Model"), role("combobox", r"Veo")],
    "listbox_option": [role("option"), css("[role=listbox] [role=option]")],
    # --- prompt and generate --------------------------------------------------------------
    "prompt": [
        css("textarea#PINHOLE_TEXT_AREA_ELEMENT_ID"),
        role("textbox", r"Generate a video"),
        css("[contenteditable=true][role=textbox], div[contenteditable=true]"),
    ],
    "create": [
        role("button", r"arrow_forward Create$"),
        role("button", r"^(?:Create|Start generation|Generate)$"),
        icon("arrow_forward"),
    ],
    "prompt_warning": [
        css("[data-testid=prompt-warning-button], #prompt-warning-button, .prompt-warning-button"),
        role("button", r"insufficient credits|not enough credits|daily limit"),
    ],
    # --- grid and notices -----------------------------------------------------------------
    "tile": [css("[data-tile-id]")],
    "tile_wrapper": [css("[data-index][data-item-index]")],
    "toasts": [css('section[aria-label="Notifications alt+T"]'), role("region", r"^Notifications")],
    # Every notice the page can answer a Create click with. NOT ordered fallbacks: the union
    # of all of them is read (toasts bottom right, system notices top right).
    "notice_items": [
        css('section[aria-label="Notifications alt+T"] [data-sonner-toast]'),
        css('section[aria-label="Notifications alt+T"] li'),
        css("[role=alert]"),
        css("[role=status]"),
    ],
    # --- download -------------------------------------------------------------------------
    "tile_download": [role("button", r"^download Download$"), icon("download")],
    "tile_more": [role("button", r"^more_vert"), icon("more_vert")],  # Feb-2026 path
    "menu": [role("menu"), css("[role=menu]")],
    "menu_download": [role("menuitem", r"^(?:download )?Download$")],
    "menu_720p": [
        role("menuitem", r"Original size \(720p\)"),
        role("menuitem", r"\b720p\b"),
        text(r"\b720p\b"),
    ],
    # --- sign-in (expired session) --------------------------------------------------------
    "signin_marker": [text(r"Couldn.t sign you in"), text(r"This browser or app may not be secure"),
                      role("heading", r"^Sign in")],
}

# Page-level strings (not elements). Kept here so UI text changes stay in this file.
SIGNIN_URL_MARK = "accounts.google.com"
PROJECT_PATH = "/project/"
PERCENT_RE = r"(\d{1,3})\s*%"
ASPECT_LABELS = {"16:9": "Landscape (16:9)", "9:16": "Portrait (9:16)"}
FRAMES_MODE = "Frames to Video"

# What a tile's words and icons mean (see `tiles.state_of`).
TILE_MARKERS = {
    "failed_text": r"\bfailed\b",
    "retry_icon": "refresh",
    "spinner_icon": "progress_activity",
    # Noise removed from a failed tile's words before classifying the reason.
    "strip_from_reason": r"\bRetry\b|Veo \d[\d.]* - \w+|\b\d{1,3}\s*%|\b\d+:\d\d\b",
}
