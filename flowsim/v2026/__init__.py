"""flowsim's `flow2026` variant, its only one: flow.google.com as users see it since September 2026.

Server side only (rules, billing, the batchexecute wire, media, localised server texts); the
page lives in `flowsim/templates/app2026.html` and `flowsim/static2026/`. The contract between
the two and the driver is `docs/flowsim-2026-contract.md`.
"""
