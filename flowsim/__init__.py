"""flowsim: a strict local look-alike of Google Flow (flow.google.com, the UI users see since
September 2026), driven by a real browser: its pages, its batchexecute wire, billing, renders
and traps (`flowsim/v2026/`, contract in `docs/flowsim-2026-contract.md`). The retired classic
UI's addresses answer 308 to the new ones, as the real site's do.

Run with `python -m flowsim --port N`; tests and benchmarks steer it through the `/__sim__/`
control API (`flowsim.control.SimControl`).
"""
