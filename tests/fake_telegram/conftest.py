"""Helpers for the fake Telegram server tests."""

from __future__ import annotations

import io

import pytest
from PIL import Image


def make_jpeg(width: int = 1600, height: int = 900, color: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def jpeg() -> bytes:
    return make_jpeg()


@pytest.fixture
def ann(telegram):
    return telegram.user(42, "Ann", "ann")
