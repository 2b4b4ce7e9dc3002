"""flowbot: turn a Telegram chat of images and prompts into Veo videos via Google Flow."""

__version__ = "0.1.0"
