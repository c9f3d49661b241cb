"""A fresh Krayin install (NOTES section 3, "Default seed data") plus the sandbox's users."""

from __future__ import annotations

from datetime import datetime

from sandboxes.krayin.models import NamedSetting, Pipeline, Stage, User

# (code, name, probability) in sort order; ids 1-6 as the installer creates them.
DEFAULT_STAGES = (
    ("new", "New", 100),
    ("follow-up", "Follow Up", 100),
    ("prospect", "Prospect", 100),
    ("negotiation", "Negotiation", 100),
    ("won", "Won", 100),
    ("lost", "Lost", 0),
)
DEFAULT_SOURCES = ("Email", "Web", "Web Form", "Phone", "Direct")
DEFAULT_TYPES = ("New Business", "Existing Business")
CLOSED_STAGE_CODES = frozenset({"won", "lost"})

# A second CRM user, so sales owners and participants other than the API user can be tested.
SALES_USER_NAME = "Sales Rep"
SALES_USER_EMAIL = "sales@example.com"
SALES_USER_PASSWORD = "sales-secret"


def default_pipeline(at: datetime) -> tuple[Pipeline, list[Stage]]:
    pipeline = Pipeline(1, "Default Pipeline", 1, 30, at, at)
    stages = [
        Stage(index, code, name, pipeline.id, index, probability, at, at)
        for index, (code, name, probability) in enumerate(DEFAULT_STAGES, start=1)
    ]
    return pipeline, stages


def named_settings(names: tuple[str, ...], at: datetime) -> dict[int, NamedSetting]:
    return {i: NamedSetting(i, name, at, at) for i, name in enumerate(names, start=1)}


def default_users(name: str, email: str, password: str, at: datetime) -> dict[int, User]:
    return {
        1: User(1, name, email, password, at, at),
        2: User(2, SALES_USER_NAME, SALES_USER_EMAIL, SALES_USER_PASSWORD, at, at),
    }
