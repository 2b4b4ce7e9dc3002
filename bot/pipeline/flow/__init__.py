"""Driving Google Flow (or flowsim) in Chromium: see `api.py` for the contract."""
