"""Selectors that public tools automating the NEW Flow (flow.google.com, Sept–Oct 2026) use,
collected as data for a fidelity check of flowsim's flow2026 page
(tests/flowsim/test_2026_public_selectors.py). Facts only: selector strings, aria-labels and
translated labels quoted by those tools; none of their code.

Each row: the selector (Playwright CSS), what it targets, the page state it needs (built by the
test), the source, and whether it must be visible. `expected_miss` rows contradict FLOW_2026.md
(another build, another account or locale) or name something FLOW_2026 does not confirm; they
must NOT resolve on flowsim, and the reason says why. Sources are public GitHub code found with
the code-search tools of this project; where the stored text names its repository it is given,
otherwise the stored file's id (`read_file` id) stands in for it.
"""

from __future__ import annotations

from dataclasses import dataclass

GFLOW = "ffroliva/gflow-cli"
EXT_SELECTORS = "Flow extension selector map (file id 68875987149; also 68828702727, 69004435270)"
KO_FIXTURE = "Korean M3 DOM fixture of a live dump, 2026-09-25 (file id 71498613663)"
KO_NOTES = "Korean settings-panel notes of a desktop app (file id 71061911979)"
PICKER_NOTES = "picker notes, measured (file id 59096869043)"
LABEL_LIST = "aria-label census of a project page (file id 59547273509)"


@dataclass(frozen=True)
class Row:
    """One public selector and where it must resolve."""

    selector: str
    target: str
    state: str  # a page state the test builds (see STATES)
    source: str
    visible: bool = True  # False: presence is the point (hidden by design, or on hover only)
    expected_miss: str | None = None  # why it must not resolve on flowsim


# Page states the test can build, in the order a walk through one project reaches them.
STATES = (
    "project_fresh",  # a project page with the cookie bar of a fresh account
    "project",  # overlays gone, Ingredients mode (a fresh account), empty grid
    "project_vi", "project_ko",  # the same page in Vietnamese / Korean
    "consent",  # the upload rights dialog after the file chooser handed a file over
    "settings",  # the settings popover open (video)
    "frames_picker",  # Frames mode, the Start chip's picker open, one upload listed
    "frames_bound",  # the Start chip bound
    "ingredients_picker",  # the Ingredients picker, an option selected (preview mode)
    "ingredient_bound",  # an ingredient chip bound and an @ mention in the editor
    "insufficient",  # credits below the live quote
    "agent",  # the Agent chip pressed
    "tile_pending", "tile_done_hover", "tile_menu", "tile_failed",
)

ROWS: tuple[Row, ...] = (
    # --- overlays (FLOW_2026 §3) ------------------------------------------------------------
    Row("#glue-cookie-notification-bar-1", "cookie bar", "project_fresh",
        "cookie-bar rule of a gflow-cli user's notes (file id 71254115749)"),
    Row("button.glue-cookie-notification-bar__accept", "cookie bar Agree", "project_fresh",
        "Flow automation scripts (file ids 53770701395, 65792859189)"),
    Row("button.glue-cookie-notification-bar__reject", "cookie bar No thanks", "project_fresh",
        "cookie-bar rule (file id 71254115749)"),
    Row("flow-upload-consent-dialog", "upload rights dialog", "consent", EXT_SELECTORS),
    Row("flow-upload-consent-dialog mat-dialog-actions div.agree-actions-group button",
        "rights dialog buttons (Cancel, I agree)", "consent", EXT_SELECTORS),
    # --- composer (§4) ----------------------------------------------------------------------
    Row("flow-generate-icon-button button", "submit", "project", "file id 69050392974"),
    Row("button.generate-icon-button, button[aria-label*=\"Start generation\" i]", "submit",
        "project", "file id 71562296622"),
    Row("flow-prompt-box.prompt-box-container flow-generate-icon-button "
        "button.generate-icon-button[type=\"submit\"][aria-label=\"Bắt đầu tạo\"]",
        "submit, Vietnamese aria-label", "project_vi", "file id 66478124394"),
    Row("button.generate-icon-button[aria-label=\"생성 시작\"]", "submit, Korean aria-label",
        "project_ko", KO_FIXTURE),
    Row(".base-prompt-box .ProseMirror[contenteditable=\"true\"]", "prompt editor", "project",
        "browser-extension preset (file id 69596583807)"),
    Row("flow-rich-text-editor [contenteditable=\"true\"]", "prompt editor", "project",
        "browser-extension preset (file id 69596583807)"),
    Row("div.ProseMirror[contenteditable='true']", "prompt editor", "project",
        "selector census (file id 71539845535)"),
    Row("button[aria-label=\"Settings trigger\"], button.settings-trigger-button",
        "settings trigger", "project", "selector census (file id 71539845535)"),
    Row("button[aria-label*='Settings trigger'], .settings-trigger-button", "settings trigger",
        "project", "file id 70905680695"),
    Row("button[aria-label=\"설정 트리거\"]", "settings trigger, Korean", "project_ko", KO_FIXTURE),
    Row("button[aria-label=\"Add ingredients to the prompt box\"], button.add-menu-trigger",
        "Add ingredients (Ingredients mode)", "project", "selector census (file id 71539845535)"),
    Row("flow-prompt-box button[aria-label*='ngredient']", "Add ingredients", "project",
        "file id 70905680695"),
    Row("button[aria-label=\"프롬프트 상자에 소재 추가\"]", "Add ingredients, Korean", "project_ko",
        KO_NOTES),
    Row("button.add-menu-trigger[aria-haspopup=\"true\"][aria-expanded=\"false\"]",
        "Add ingredients trigger, closed", "project", KO_FIXTURE),
    Row("button.settings-trigger-button[hidden]", "trigger left hidden by the Agent chip",
        "agent", GFLOW, visible=False),
    Row("button.agent-action-button", "agent composer's own settings control", "agent", GFLOW,
        expected_miss="FLOW_2026 §4 names no settings control in the agent composer (no "
                      "per-request settings); seen by one tool only"),
    Row("button.prompt-warning-button, [aria-label*='Insufficient credits']",
        "insufficient-credits control", "insufficient", GFLOW),
    Row("button.prompt-warning-button[aria-label=\"Insufficient credits warning\"]",
        "insufficient-credits control, measured aria-label", "insufficient", GFLOW),
    # --- settings popover (§5) --------------------------------------------------------------
    Row("flow-prompt-box-settings button[aria-haspopup=\"menu\"]", "model menu trigger",
        "settings", "file id 69050392974"),
    Row("flow-prompt-box-settings button.mat-mdc-menu-trigger[aria-haspopup=menu]",
        "model menu trigger", "settings", KO_NOTES),
    Row("button.mat-button-toggle-button[role=radio][aria-checked]", "toggle radios",
        "settings", "Korean settings driver (file id 71236568617)"),
    Row("mat-button-toggle-group mat-button-toggle button", "toggle radios", "settings",
        EXT_SELECTORS),
    Row("flow-prompt-box-settings flow-toggles:nth-of-type(2) mat-button-toggle:nth-of-type(1) "
        "button", "Frames (video input mode, first option of the second group)", "settings",
        "selector map (file id 67488129682)"),
    Row("flow-prompt-box-settings button:has(mat-icon:text-is(\"crop_free\"))", "Frames by icon",
        "settings", "selector map (file id 67488129682)"),
    Row("flow-credit-cost-label a.credit-cost-link", "live price", "settings",
        "file id 66468593205"),
    Row("flow-credit-cost-label, .settings-credit-cost, a.credit-cost-link", "live price",
        "settings", "file id 67427242595"),
    # --- frames and the picker (§6) ----------------------------------------------------------
    Row("flow-ingredient-bar.prompt-ingredient-bar", "ingredient bar (Frames)", "frames_picker",
        EXT_SELECTORS),
    Row("flow-ingredient-bar div.frame-trigger:nth-of-type(1) button.empty-chip", "Start chip",
        "frames_picker", EXT_SELECTORS),
    Row("flow-ingredient-bar div.frame-trigger:nth-of-type(2) button.empty-chip", "End chip",
        "frames_picker", EXT_SELECTORS),
    Row("button.asset-item[role=option]", "picker option", "frames_picker", PICKER_NOTES),
    Row("flow-add-menu-popover-content input.search-input", "picker search", "frames_picker",
        "extension selector map (file id 69395101102)"),
    Row("cdk-virtual-scroll-viewport.asset-list-viewport button.asset-item", "picker list",
        "frames_picker", KO_FIXTURE),
    Row("button.asset-item img.asset-thumbnail-image", "option thumbnail", "frames_picker",
        "extension selector map (file id 69395101102)"),
    Row("flow-ingredient-bar flow-image-ingredient-chip", "bound chip", "frames_bound",
        EXT_SELECTORS),
    Row("flow-image-ingredient-chip button.chip-container div.chip-image-wrapper img.chip-image",
        "bound chip image", "frames_bound", KO_FIXTURE),
    Row("flow-image-ingredient-chip div.hover-icon-overlay mat-icon", "chip's cancel on hover",
        "frames_bound", KO_FIXTURE, visible=False),
    Row("mat-list-item[role=tab]", "picker category tabs", "ingredients_picker", PICKER_NOTES),
    Row("button.sidebar-upload-btn", "Upload media in the Ingredients picker",
        "ingredients_picker", KO_FIXTURE),
    Row("input.search-input[cdkfocusinitial][aria-label=\"Search assets\"]",
        "picker search (takes focus)", "ingredients_picker", KO_FIXTURE),
    Row("button.asset-item.asset-item-active", "selected option", "ingredients_picker",
        PICKER_NOTES),
    Row("img.detail-preview-image", "preview of the selected asset", "ingredients_picker",
        KO_FIXTURE),
    Row("flow-add-menu-detail-pane button.detail-add-to-prompt-btn", "Add to prompt",
        "ingredients_picker", "file id 70171307431"),
    Row(".add-menu-popover-container button.detail-add-to-prompt-btn", "Add to prompt",
        "ingredients_picker", "file id 68689454054"),
    Row("button.add-menu-trigger.add-menu-trigger-active[aria-expanded=\"true\"]",
        "Add ingredients trigger while its picker is open", "ingredients_picker", KO_FIXTURE),
    Row(".prompt-ingredient-bar img.chip-image", "bound ingredient image", "ingredient_bound",
        "test of a Flow CLI (file id 68976475982)"),
    Row("button.chip-container[aria-label=\"Ingredient\"]", "ingredient chip", "ingredient_bound",
        KO_FIXTURE),
    Row("span.mention-chip[data-mention-id][data-reference-type=media][contenteditable=false]",
        "@ mention in the editor", "ingredient_bound", KO_FIXTURE),
    Row("button.clear-button[aria-label=\"Clear prompt\"]", "Clear prompt", "ingredient_bound",
        KO_FIXTURE),
    # --- top bar (§2, §4) ---------------------------------------------------------------------
    Row("button[aria-label=\"Add media menu\"]", "Add media menu", "project",
        "Flow MCP server (file id 69398347124); puppeteer probe (68359207574)"),
    Row("flow-tile-view-header button[aria-label=\"Add media menu\"]", "Add media menu's header",
        "project", "file id 69083215949"),
    Row("flow-navigation-header flow-editable-text input.editable-text-input", "project title",
        "project", "file id 66468593205"),
    Row("input.search-input[aria-label=\"Search\"]", "header search field", "project",
        KO_FIXTURE),
    Row(".empty-project-message", "empty project", "project", "file id 66468593205"),
    Row("button[aria-label=\"Back button to go to previous page\"]", "header back button",
        "project", LABEL_LIST,
        expected_miss="FLOW_2026 §4 names this button `Home`; one tool's census, maybe "
                      "another build"),
    # --- tiles, hover, downloads (§8, §9) -----------------------------------------------------
    Row("flow-grid-tile-container", "tile", "tile_pending", "many tools"),
    Row("flow-pending-tile, div.loading-percentage", "pending tile", "tile_pending",
        "extension selector map (file id 69395101102)"),
    Row(".progress-bar, .progress-bar-fill, flow-pending-tile", "progress", "tile_pending",
        EXT_SELECTORS),
    Row(".tile-row > FLOW-GRID-TILE-CONTAINER", "tile in its row", "tile_pending",
        "file id 69142740166"),
    Row("div.virtual-scroll-container > div.tile-row:first-child flow-grid-tile-container",
        "newest row", "tile_pending", EXT_SELECTORS),
    Row("flow-grid-tile-container > flow-tile-container:first-child", "inner tile wrapper",
        "tile_pending", "file id 68898296483",
        expected_miss="FLOW_2026 §8 has the tile body right in flow-grid-tile-container; one "
                      "source (a sibling map, 68875987149, anchors on div.tile-row instead)"),
    Row("flow-grid-tile-container flow-video-tile img.thumbnail", "finished clip thumbnail",
        "tile_done_hover", "file id 68825551232"),
    Row("flow-hotbar-container div.hotbar-inner button:has(mat-icon:has-text(\"more_vert\"))",
        "hover toolbar More options", "tile_done_hover", "file id 71364526918"),
    Row("flow-video-hotbar button[aria-label='More options']", "hover toolbar More options",
        "tile_done_hover", "Python selector class (file id 69297945481)"),
    Row("button[aria-label=\"Favourite\"]", "hover toolbar Favourite", "tile_done_hover",
        LABEL_LIST, expected_miss="FLOW_2026 §8 reads `Favorite` (en-US); an en-GB account"),
    Row("flow-tile-hover-footer .footer-title", "title footer on hover", "tile_done_hover",
        "Python selector class (file id 69297945481)",
        expected_miss="FLOW_2026 §8 names no hover footer; one source"),
    Row("div.mat-mdc-menu-content flow-menu-item button[role=\"menuitem\"]"
        ":has(mat-icon:has-text(\"download\"))", "tile menu Download", "tile_menu",
        "file id 71364526918"),
    Row("flow-error-tile, .error-tile", "failed tile", "tile_failed", EXT_SELECTORS),
)
