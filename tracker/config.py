"""Settings: where the database is, the language, the time zone, where the bundled plans are."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .clock import DEFAULT_TIMEZONE

APP_NAME = "tracker"
# plans/ sits beside the package in a checkout; an installed wheel carries no plans.
BUNDLED_PLANS = Path(__file__).resolve().parent.parent / "plans"


def data_dir() -> Path:
    override = os.environ.get("TRACKER_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'tracker.sqlite3'}"


@dataclass
class Settings:
    database_url: str = field(default_factory=lambda: os.environ.get("TRACKER_DB") or default_database_url())
    lang: str = field(default_factory=lambda: os.environ.get("TRACKER_LANG", "zh"))
    timezone: str = DEFAULT_TIMEZONE

    @property
    def is_embedded_default(self) -> bool:
        return self.database_url == default_database_url()
