"""flowsim: a strict local look-alike of Google Flow's classic UI, driven by a real browser.

Run with `python -m flowsim --port N`; tests and benchmarks steer it through the `/__sim__/`
control API (`flowsim.control.SimControl`).
"""
