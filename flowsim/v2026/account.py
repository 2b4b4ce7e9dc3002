"""Per-account state of the flow2026 variant: dismissed overlays, remembered choices, consent,
the unusual-activity lock and the stuck-tile script. Reset with the simulator."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field

# The "forever" count for configure(unusual_activity=True) (a bool turns the trap on for good).
ALWAYS = 10**9
DISMISSABLE = ("cookie_bar", "agent_panel", "changelog")
FRAMES_MODES = ("frames", "ingredients")
# flowsim's choice: a fresh account starts in Ingredients, so a tool must pick Frames itself.
DEFAULT_FRAMES_MODE = "ingredients"
# configure() "next N" traps -> the account counter that counts them down.
TRAP_COUNTERS = {"poll_refusal_next": "poll_refusals_left",
                 "upload_reply_lost_next": "upload_lost_left",
                 "upscale_unusual_activity_next": "upscale_unusual_left"}


@dataclass
class Account:
    """What the server remembers about the one simulated account between page loads."""

    name: str = "Flow Tester"
    dismissed: list[str] = field(default_factory=list)
    agent_chip: bool = False
    frames_mode: str = DEFAULT_FRAMES_MODE
    consent_accepted: bool = False
    unusual_left: int = 0  # submits still to refuse outright
    unusual_since: float | None = None  # last refusal of the series; locked until cleared
    unusual_reloaded: bool = False  # a project page loaded after `unusual_since`
    page_loads: int = 0  # project pages served since reset
    stuck_left: int = 0
    # December's traps (configure(poll_refusal_next=N, …)): what is still to come.
    poll_refusals_left: int = 0
    upload_lost_left: int = 0
    upscale_unusual_left: int = 0
    last_submit_at: float | None = None  # the previous submit request (the firewall's clock)
    upscale_4k_paid: list[str] = field(default_factory=list)
    foreign_project: str = field(default_factory=lambda: str(uuid.uuid4()))
    # FLOW_2026 §1: `/scene/<uuid>` and `/character/<uuid>` under a project (minimal pages).
    scenes: dict[str, str] = field(default_factory=dict)  # scene id -> project id
    characters: dict[str, dict] = field(default_factory=dict)  # id -> {"project", "name"}

    @classmethod
    def fresh(cls, config) -> Account:
        """A new account as `config` describes it."""
        account = cls()
        apply_config(account, vars(config), initial=True)
        return account

    def unusual_refusal(self, now: float, clear_seconds: float, *, untrusted: bool) -> bool:
        """True when a submit at `now` is refused as unusual activity (and arms the lock).

        The next `unusual_left` submits are refused; after them the account keeps refusing
        until a project page has been (re)loaded after the last refusal AND `clear_seconds`
        have passed since it. An untrusted (synthetic) submit is refused the same way.
        """
        if untrusted or self.unusual_left > 0:
            if not untrusted:
                self.unusual_left -= 1
            self.unusual_since, self.unusual_reloaded = now, False
            return True
        if self.unusual_since is None:
            return False
        if self.unusual_reloaded and now - self.unusual_since >= clear_seconds:
            self.unusual_since = None
            return False
        return True

    def take(self, counter: str) -> bool:
        """True (and one fewer left) when a "next N" trap counted by `counter` fires now."""
        left = getattr(self, counter)
        if left <= 0:
            return False
        setattr(self, counter, left - 1)
        return True

    def firewall(self, now: float, min_gap: float | None) -> bool:
        """True when a submit request at `now` comes sooner than `min_gap` seconds after the
        previous one (every submit request counts, also one the firewall refused)."""
        last, self.last_submit_at = self.last_submit_at, now
        return min_gap is not None and last is not None and now - last < min_gap

    def page_loaded(self) -> None:
        """A project page was served: counts, and is the reload the unusual lock waits for."""
        self.page_loads += 1
        if self.unusual_since is not None:
            self.unusual_reloaded = True

    def to_json(self) -> dict:
        """JSON-able form for persistence."""
        return asdict(self)


def apply_config(account: Account, changes: dict, *, initial: bool = False) -> None:
    """Carry configure() changes into the account: a trap switched (again) is armed afresh."""
    for what in DISMISSABLE:
        if what in changes and what in account.dismissed:
            account.dismissed.remove(what)
    if "agent_chip" in changes:
        account.agent_chip = bool(changes["agent_chip"])
    if "upload_consent" in changes:
        account.consent_accepted = not changes["upload_consent"]
    if "unusual_activity" in changes:
        value = changes["unusual_activity"]
        account.unusual_left = ALWAYS if value is True else int(value)
        if not value and not initial:
            account.unusual_since, account.unusual_reloaded = None, False
    if "stuck_next" in changes:
        account.stuck_left = int(changes["stuck_next"])
    for setting, left in TRAP_COUNTERS.items():
        if setting in changes:
            setattr(account, left, int(changes[setting]))


def restore(data: dict) -> Account:
    """The account from `Account.to_json` output (unknown keys from older snapshots dropped)."""
    known = Account.__dataclass_fields__
    return Account(**{k: v for k, v in data.items() if k in known})
