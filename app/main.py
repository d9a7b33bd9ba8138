"""The app as the launcher serves it: logging configured, settings from the environment."""

from __future__ import annotations

from starlette.types import ASGIApp

from app.factory import create_app
from app.logs import configure
from app.settings import Settings


def serve_app() -> ASGIApp:
    settings = Settings.from_env()
    configure(settings.log_level, settings.log_json)
    return create_app(settings, owns_process=True)
