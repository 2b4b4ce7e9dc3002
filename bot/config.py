"""Settings from the environment and `.env`, in groups with one prefix each.

`load_settings()` is the only entry point: it turns every validation problem into a
`ConfigError` whose message is one line naming the variable and how to fix it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError
from bot.pipeline import catalog

TOKEN_RE = re.compile(r"^\d{3,12}:[A-Za-z0-9_-]{30,}$")
# Every model Flow offers (the one table: bot/pipeline/catalog.py); a plan may offer fewer.
MODELS = catalog.MODELS
PLANS = catalog.PLANS
ASPECTS = ("16:9", "9:16")
PRESETS = ("fast", "balanced", "high")
ENCODERS = ("auto", "libx264", "h264_nvenc", "hevc_nvenc")

IdList = Annotated[list[int], NoDecode]


def _split_ids(value: Any) -> Any:
    """Accept "1, 2,3", a single int, or a list; reject anything that is not a whole number."""
    if value is None or value == "":
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, str):
        return [int(part) for part in re.split(r"[,\s]+", value.strip()) if part]
    return value


class _Group(BaseSettings):
    model_config = SettingsConfigDict(
        extra="ignore", env_file=".env", env_file_encoding="utf-8", env_ignore_empty=True
    )


class TelegramSettings(_Group):
    """Telegram Bot API access and who may use the bot."""

    model_config = SettingsConfigDict(env_prefix="TELEGRAM_")

    bot_token: SecretStr | None = None
    api_base_url: str | None = None
    local_mode: bool = False
    admin_ids: IdList = Field(default_factory=list)
    allowed_user_ids: IdList = Field(default_factory=list)
    progress_edit_interval_s: float = Field(default=3.0, ge=0.0)
    # How finished clips are shown to a user who has not chosen in /settings: one review message
    # per batch paging through its clips ("view"), or an album per image ("albums").
    review_mode: Literal["view", "albums"] = "view"
    # A drop of images this soon after the previous drop's draft card joins that draft (a phone
    # uploads several albums one after another, sometimes seconds apart); 0 turns joining off.
    draft_join_s: float = Field(default=15.0, ge=0.0, le=600.0)

    _split = field_validator("admin_ids", "allowed_user_ids", mode="before")(_split_ids)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TOKEN_RE.match(value.get_secret_value().strip()):
            raise ValueError("does not look like a bot token")
        return value

    @property
    def upload_limit_bytes(self) -> int:
        """Largest file the bot may upload: 50 MB via the cloud Bot API, 2,000 MB self-hosted."""
        return 2000 * 1024 * 1024 if self.local_mode else 50 * 1024 * 1024

    @property
    def download_limit_bytes(self) -> int | None:
        """Largest file getFile serves: 20 MB via the cloud Bot API, unlimited self-hosted."""
        return None if self.local_mode else 20 * 1024 * 1024


# Values of FLOW_UI / FLOW_SIM_VARIANT that named the classic Flow UI (labs.google/fx/tools/flow):
# Google stopped serving it in September 2026 (its address redirects to flow.google.com).
RETIRED_UIS = {"classic": "the classic Flow UI (labs.google)",
               "feb2026": "the February 2026 build of the classic Flow UI (labs.google)"}


class FlowSettings(_Group):
    """How to reach and drive Google Flow (or the local simulator)."""

    model_config = SettingsConfigDict(env_prefix="FLOW_")

    backend: Literal["browser", "simulator"] = "browser"
    base_url: str = "https://flow.google.com"
    # Which UI generation the driver speaks: detected on the page, or forced. flow2026
    # (flow.google.com) is the only one living: the classic UI was retired in September 2026.
    ui: Literal["auto", "flow2026"] = "auto"
    # The UI language the driver pins (`hl=` + Accept-Language); empty: the account's own.
    ui_lang: str = "en"
    # Accept Flow's image-rights dialog at the first upload (an admin sets this knowingly).
    accept_upload_terms: bool = False
    # Money guard: most credits one item's click may spend (0: only GenerationRequest.max_credits).
    max_credits_per_item: int = Field(default=0, ge=0)
    # "We noticed some unusual activity": reload, wait, submit again this many times, then pause.
    unusual_activity_retries: int = Field(default=3, ge=0, le=10)
    unusual_activity_wait_s: float = Field(default=10.0, ge=0)
    # Flow's own 1080p upscale: how long to wait before the caller falls back to a local one.
    upscale_1080_timeout_s: float = Field(default=600.0, gt=0)
    chromium_path: Path = Path("/usr/bin/chromium")
    headless: bool = True
    # Browser modes for the real site (FLOW_2026 §1: an invisible page gets no animation frames):
    # FLOW_HEADED=true runs a visible Chromium, on a virtual display (Xvfb, started by the bot)
    # when there is no DISPLAY; FLOW_CDP_URL attaches to a Chrome the user already signed in to.
    headed: bool = False
    cdp_url: str | None = None
    xvfb_path: str = "Xvfb"
    xvfb_screen: str = Field(default="1920x1080x24", pattern=r"^\d{3,5}x\d{3,5}x(8|16|24)$")
    # Drift canary (bot/pipeline/canary.py): check the page before a batch's first submission
    # and once every interval; strict = pause on any drift, not only on elements gone missing.
    canary: bool = True
    canary_strict: bool = True
    canary_interval_s: float = Field(default=86400.0, ge=60)
    session_file: Path | None = None
    profile_dir: Path | None = None
    # The model new batches use, always set on the page explicitly (Flow's own default is never
    # assumed). Any model name we know is accepted here; what new work gets is resolved against
    # what the account offers now (`catalog.default_model`): this one where offered, else
    # Veo 3.1 - Lite, else Omni 1.2 Flash (the free plan has no Lite).
    default_model: str = catalog.DEFAULT_MODEL
    # The account's plan decides prices and offered durations (FLOW_2026 §11, December §2); the
    # plan the page shows (SessionInfo.extra["plan"], a survey) wins once the driver has seen it.
    plan: Literal["free", "pro", "ultra"] = "pro"
    default_aspect: Literal["16:9", "9:16"] = "9:16"
    default_outputs: int = Field(default=2, ge=1, le=4)
    render_slots: int = Field(default=5, ge=1, le=20)
    # Outputs that may wait in Flow's own visible queue (flow.google.com shows them as queued
    # tiles, FLOW_2026 §8/§11) beyond the render slots: they start the moment a slot frees,
    # without waiting for us to see the render end and submit. 0 turns it off; never used on
    # a UI generation without a queue, nor while a "too quickly" backoff lowers the cap.
    queue_ahead: int = Field(default=4, ge=0, le=20)
    # Flow's own limit of renders at once per account (FLOW_2026 §11: about 5). A queued tile
    # starts as soon as one of Flow's slots frees, so queue-ahead is used only where this is
    # no more than `render_slots`: below it, Flow would start what we queued and our budget
    # would no longer be a ceiling.
    account_slots: int = Field(default=5, ge=1, le=20)
    # A submit that was clicked but whose clips were not seen (the answer missed, a crash) is
    # looked for again in the project for this long, then held for an admin; never redone.
    reconcile_window_s: float = Field(default=900.0, ge=0)
    step_timeout_s: float = Field(default=30.0, gt=0)
    generation_timeout_s: float = Field(default=600.0, gt=0)
    poll_interval_s: float = Field(default=2.0, gt=0)
    high_demand_wait_s: float = Field(default=180.0, ge=0)
    high_demand_max_attempts: int = Field(default=5, ge=1)
    transient_max_retries: int = Field(default=2, ge=0)
    rate_limit_backoff_s: float = Field(default=120.0, ge=0)
    # Pacing (FLOW_2026 Dec. 7): Google's front end answers fast successive submits with an HTTP
    # 403 (firewall); batch tools pace 10-30 s between submits with jitter. Seconds between two
    # submits of the account (±`submit_gap_jitter`); 0 turns pacing off.
    submit_gap_s: float = Field(default=10.0, ge=0, le=600)
    submit_gap_jitter: float = Field(default=0.3, ge=0, le=0.9)
    # After a firewall 403: no submit for this long (± the jitter); then the gap is tripled
    # for an hour (the public advice: "widen it if you see WAF 403s").
    firewall_backoff_s: float = Field(default=180.0, ge=0)
    sim_port: int = Field(default=0, ge=0, le=65535)
    sim_generation_seconds: float = Field(default=90.0, gt=0)
    # FLOW_BACKEND=simulator: which Flow UI flowsim serves (flow2026, the one users see today,
    # is its only one since the classic UI's variants were removed).
    sim_variant: Literal["flow2026"] = "flow2026"

    @field_validator("ui", "sim_variant", mode="before")
    @classmethod
    def _not_retired(cls, value: object) -> object:
        # A setting from before the retirement gets a reason and a way out, not just "invalid".
        name = value.strip() if isinstance(value, str) else None
        if name is not None and name.lower() in RETIRED_UIS:
            raise ValueError(f"{name!r} names {RETIRED_UIS[name.lower()]}, which Google retired "
                             "in September 2026; the bot's support for it was removed")
        return value

    @field_validator("cdp_url")
    @classmethod
    def _cdp_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(https?|wss?)://[^\s/]+", value.strip()):
            raise ValueError("is not an http:// or ws:// address")
        return value.strip() if value else None

    @property
    def browser_mode(self) -> Literal["headless", "headed", "cdp"]:
        """How the bot gets its browser: attach over CDP, launch headed, or launch headless."""
        if self.cdp_url:
            return "cdp"
        return "headed" if self.headed or not self.headless else "headless"

    @field_validator("default_model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        if value not in catalog.MODELS:
            raise ValueError(f"unknown model {value!r}; known: {', '.join(catalog.MODELS)}")
        return value

    def effective_default_model(self, plan: str | None = None, now: float | None = None) -> str:
        """The model new work uses on `plan` (default: FLOW_PLAN) on the day of `now`:
        FLOW_DEFAULT_MODEL where the account offers it, else our default for the plan."""
        return catalog.default_model(plan or self.plan, now, preferred=self.default_model)


class UpscaleSettings(_Group):
    """4K upscaling with FFmpeg."""

    model_config = SettingsConfigDict(env_prefix="UPSCALE_")

    preset: Literal["fast", "balanced", "high"] = "balanced"
    encoder: Literal["auto", "libx264", "h264_nvenc", "hevc_nvenc"] = "auto"
    concurrency: int = Field(default=1, ge=1, le=8)
    ffmpeg_path: str = "ffmpeg"
    ffprobe_path: str = "ffprobe"
    nice: int = Field(default=10, ge=0, le=19)


class StorageSettings(_Group):
    """Where finished files live: a local folder, or Cloudflare R2 through its S3 API."""

    model_config = SettingsConfigDict(env_prefix="STORAGE_")

    backend: Literal["local", "r2"] = "local"
    local_dir: Path | None = None
    r2_endpoint_url: str | None = None
    r2_bucket: str | None = None
    r2_access_key_id: SecretStr | None = None
    r2_secret_access_key: SecretStr | None = None
    r2_region: str = "auto"
    link_expiry_s: int = Field(default=86400, ge=60, le=604800)

    @model_validator(mode="after")
    def _r2_complete(self) -> StorageSettings:
        if self.backend == "r2":
            for name in ("r2_endpoint_url", "r2_bucket", "r2_access_key_id", "r2_secret_access_key"):
                if not getattr(self, name):
                    raise ValueError(f"STORAGE_{name.upper()} is required when STORAGE_BACKEND=r2")
        return self


class WebAppSettings(_Group):
    """The gallery Mini App (`bot/webapp/`): an aiohttp app in the bot's process.

    Telegram opens Mini Apps over HTTPS only, so `public_url` is the address a reverse proxy or a
    tunnel serves (README, "The gallery"); the app itself listens on `host:port` behind it.
    """

    model_config = SettingsConfigDict(env_prefix="WEBAPP_")

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8088, ge=0, le=65535)  # 0: any free port (tests)
    # The HTTPS address Telegram opens, e.g. https://flowbot.example.com (no path needed).
    public_url: str | None = None
    # Telegram's init data carries auth_date: older than this, a request is refused (401).
    init_data_max_age_s: int = Field(default=3600, ge=60, le=7 * 86400)
    # How long a signed media link (a clip, a poster) works.
    media_link_ttl_s: int = Field(default=900, ge=60, le=86400)
    # The key of the signed media links; empty: derived from the bot token.
    secret: SecretStr | None = None

    @field_validator("public_url")
    @classmethod
    def _url_shape(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~/-]*)?$", value):
            raise ValueError("is not an http(s) address such as https://flowbot.example.com")
        return value

    @model_validator(mode="after")
    def _url_when_enabled(self) -> WebAppSettings:
        if self.enabled and not self.public_url:
            raise ValueError("WEBAPP_PUBLIC_URL is required when WEBAPP_ENABLED=true "
                             "(the HTTPS address Telegram opens)")
        return self

    def gallery_url(self, batch_id: int | None = None) -> str | None:
        """The address a `web_app` button opens (one batch, or the list); None when off."""
        if not self.enabled or not self.public_url:
            return None
        return f"{self.public_url}/gallery/" + (f"?batch={int(batch_id)}" if batch_id else "")


class PathSettings(_Group):
    """Where flowbot keeps its state."""

    model_config = SettingsConfigDict(env_prefix="PATHS_")

    data_dir: Path = Path("data")
    database: Path | None = None

    @property
    def database_path(self) -> Path:
        return self.database or self.data_dir / "flowbot.sqlite3"


class Settings:
    """All groups together. Built by `load_settings()`."""

    def __init__(
        self,
        telegram: TelegramSettings,
        flow: FlowSettings,
        upscale: UpscaleSettings,
        storage: StorageSettings,
        paths: PathSettings,
        webapp: WebAppSettings | None = None,
    ) -> None:
        self.telegram = telegram
        self.flow = flow
        self.upscale = upscale
        self.storage = storage
        self.paths = paths
        # Off unless configured: settings built in code (tests, tools) need not name the group.
        self.webapp = webapp if webapp is not None else WebAppSettings.model_construct()

    @property
    def session_file(self) -> Path:
        """The Playwright storage_state file of the Flow account."""
        return self.flow.session_file or self.paths.data_dir / "flow_session.json"

    @property
    def blob_dir(self) -> Path:
        return self.storage.local_dir or self.paths.data_dir / "blobs"

    def require_bot_token(self) -> str:
        """The bot token, or a ConfigError explaining how to get one."""
        token = self.telegram.bot_token
        if token is None or not token.get_secret_value().strip():
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is missing: create a bot with @BotFather in Telegram "
                "(send /newbot), then set TELEGRAM_BOT_TOKEN=<the token> in .env or the environment."
            )
        return token.get_secret_value().strip()


_GROUPS: dict[str, tuple[type[_Group], str]] = {
    "telegram": (TelegramSettings, "TELEGRAM_"),
    "flow": (FlowSettings, "FLOW_"),
    "upscale": (UpscaleSettings, "UPSCALE_"),
    "storage": (StorageSettings, "STORAGE_"),
    "paths": (PathSettings, "PATHS_"),
    "webapp": (WebAppSettings, "WEBAPP_"),
}

_FIXES: dict[str, str] = {
    "TELEGRAM_BOT_TOKEN": "get a token from @BotFather in Telegram (send /newbot); it looks like 123456789:AAE...",
    "TELEGRAM_ADMIN_IDS": "use numeric Telegram user ids separated by commas, e.g. 11111,22222 (ask @userinfobot for yours)",
    "TELEGRAM_ALLOWED_USER_IDS": "use numeric Telegram user ids separated by commas, e.g. 11111,22222",
    "FLOW_BACKEND": "use 'browser' (real Google Flow) or 'simulator' (local flowsim, no account needed)",
    "FLOW_CDP_URL": "use the DevTools address of a Chrome started with --remote-debugging-port, e.g. http://127.0.0.1:9222",
    "FLOW_XVFB_SCREEN": "use WIDTHxHEIGHTxDEPTH, e.g. 1920x1080x24",
    "FLOW_DEFAULT_MODEL": "use one of: " + ", ".join(MODELS),
    "FLOW_UI": "use 'auto' (the page is recognised) or 'flow2026' (flow.google.com), or remove the line",
    "FLOW_SIM_VARIANT": "use 'flow2026' (flow.google.com, flowsim's only variant), or remove the line",
    "FLOW_PLAN": "use 'pro' or 'ultra' (the plan shown on the Flow account button)",
    "FLOW_DEFAULT_ASPECT": "use 16:9 (landscape) or 9:16 (portrait)",
    "FLOW_DEFAULT_OUTPUTS": "use a whole number from 1 to 4",
    "UPSCALE_PRESET": "use one of: " + ", ".join(PRESETS),
    "UPSCALE_ENCODER": "use one of: " + ", ".join(ENCODERS),
    "STORAGE_BACKEND": "use 'local' or 'r2'",
    "WEBAPP_PUBLIC_URL": "use the HTTPS address your reverse proxy or tunnel serves, e.g. https://flowbot.example.com (README, \"The gallery\")",
    "WEBAPP_PORT": "use a port number from 1 to 65535 (0: any free port)",
}


def _one_line(group_prefix: str, err: ValidationError) -> str:
    first = err.errors()[0]
    loc = [str(part) for part in first.get("loc", ()) if part != "__root__"]
    msg = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if not loc:
        # Model-level validators name the variable themselves.
        return f"Configuration error: {msg}."
    var = group_prefix + loc[0].upper()
    fix = _FIXES.get(var, "check its value in .env or the environment (see .env.example)")
    return f"Configuration error: {var} is invalid ({msg}): {fix}."


def load_settings(env_file: Path | str | None = ".env") -> Settings:
    """Read every group from the environment and `env_file`; raise `ConfigError` on bad values."""
    groups: dict[str, _Group] = {}
    for name, (cls, prefix) in _GROUPS.items():
        try:
            groups[name] = cls(_env_file=env_file)  # type: ignore[call-arg]
        except ValidationError as err:
            raise ConfigError(_one_line(prefix, err)) from None
    return Settings(**groups)  # type: ignore[arg-type]
