"""The in-memory database of one Krayin instance. Callers hold `Sandbox.lock` around it."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field

from sandboxes.krayin import clock
from sandboxes.krayin.models import (
    Activity,
    Lead,
    NamedSetting,
    Organization,
    Person,
    Pipeline,
    Stage,
    Token,
    User,
)
from sandboxes.krayin.seed import (
    DEFAULT_SOURCES,
    DEFAULT_TYPES,
    default_pipeline,
    default_users,
    named_settings,
)

TOKEN_ALPHABET = string.ascii_letters + string.digits


@dataclass
class Tables:
    users: dict[int, User]
    pipelines: dict[int, Pipeline]
    stages: dict[int, Stage]
    sources: dict[int, NamedSetting]
    types: dict[int, NamedSetting]
    organizations: dict[int, Organization] = field(default_factory=dict)
    persons: dict[int, Person] = field(default_factory=dict)
    leads: dict[int, Lead] = field(default_factory=dict)
    activities: dict[int, Activity] = field(default_factory=dict)
    tokens: dict[int, Token] = field(default_factory=dict)
    # Auto-increment counters survive deletes, as MySQL's do.
    next_ids: dict[str, int] = field(default_factory=dict)
    login_count: int = 0
    # (attribute code, value as compared) -> ids of the persons holding it. The unique
    # rules of a person create/update look values up here: scanning every person in
    # Python for each value made a sandbox of 10 000 persons answer ~5 calls/s, where
    # MySQL answers the same query from the table in well under a millisecond.
    person_values: dict[tuple[str, str], set[int]] = field(default_factory=dict)

    def _person_keys(self, person: Person) -> set[tuple[str, str]]:
        keys = {("emails", str(e.get("value") or "").casefold()) for e in person.emails}
        keys |= {("contact_numbers", str(e.get("value") or "")) for e in person.contact_numbers}
        return keys

    def index_person(self, person: Person) -> None:
        """After a person is stored or its e-mails / numbers changed."""
        for key in self._person_keys(person):
            self.person_values.setdefault(key, set()).add(person.id)

    def unindex_person(self, person: Person) -> None:
        """Before a person is deleted or its e-mails / numbers change."""
        for key in self._person_keys(person):
            self.person_values.get(key, set()).discard(person.id)

    def persons_holding(self, code: str, value: str) -> set[int]:
        """Ids of the persons with `value` among `code` (e-mails compared case-folded)."""
        wanted = value.casefold() if code == "emails" else value
        return set(self.person_values.get((code, wanted), ()))

    def next_id(self, table: str) -> int:
        current = self.next_ids.get(table)
        if current is None:
            existing: dict[int, object] = getattr(self, table)
            current = max(existing, default=0) + 1
        self.next_ids[table] = current + 1
        return current

    # -- tokens ----------------------------------------------------------------------------

    def issue_token(self, user: User, device_name: str) -> Token:
        """Login: `$user->tokens()->delete()` first, so every older token of the user dies."""
        self.revoke_tokens(user.id)
        secret = "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(40))  # Str::random(40)
        token = Token(self.next_id("tokens"), user.id, device_name, secret)
        self.tokens[token.id] = token
        self.login_count += 1
        return token

    def revoke_tokens(self, user_id: int) -> int:
        doomed = [t.id for t in self.tokens.values() if t.user_id == user_id]
        for token_id in doomed:
            del self.tokens[token_id]
        return len(doomed)

    def user_for_token(self, plain: str) -> User | None:
        token_id, sep, secret = plain.partition("|")
        if not sep or not token_id.isdigit():
            return None
        token = self.tokens.get(int(token_id))
        if token is None or not secrets.compare_digest(token.secret, secret):
            return None
        return self.users.get(token.user_id)

    # -- lookups ---------------------------------------------------------------------------

    def stages_of(self, pipeline_id: int) -> list[Stage]:
        stages = [s for s in self.stages.values() if s.lead_pipeline_id == pipeline_id]
        return sorted(stages, key=lambda s: (s.sort_order, s.id))

    def default_pipeline(self) -> Pipeline:
        return next(
            (p for p in self.pipelines.values() if p.is_default),
            next(iter(self.pipelines.values())),
        )

    def counts(self) -> dict[str, int]:
        return {
            "users": len(self.users),
            "organizations": len(self.organizations),
            "persons": len(self.persons),
            "leads": len(self.leads),
            "activities": len(self.activities),
            "pipelines": len(self.pipelines),
            "stages": len(self.stages),
            "sources": len(self.sources),
            "types": len(self.types),
        }


def fresh_tables(name: str, email: str, password: str) -> Tables:
    at = clock.now()
    pipeline, stages = default_pipeline(at)
    return Tables(
        users=default_users(name, email, password, at),
        pipelines={pipeline.id: pipeline},
        stages={s.id: s for s in stages},
        sources=named_settings(DEFAULT_SOURCES, at),
        types=named_settings(DEFAULT_TYPES, at),
    )
