"""Where a person's phone or e-mail could still be: every text, JSON and binary column of
every table of the ERP database, and the sandboxes' stores."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import requests
from django.db import connection

TEXT_TYPES = ("text", "character varying", "json", "jsonb", "bytea")


def erp_traces(*needles: str) -> list[str]:
    hits: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = ANY(%s)", [list(TEXT_TYPES)])
        columns = cursor.fetchall()
        for table, column, data_type in columns:
            for needle in needles:
                if data_type == "bytea":
                    cursor.execute(f'SELECT count(*) FROM "{table}" WHERE '
                                   f"position(convert_to(%s, 'UTF8') in \"{column}\") > 0",
                                   [needle])
                else:
                    cursor.execute(f'SELECT count(*) FROM "{table}" WHERE '
                                   f'lower("{column}"::text) LIKE %s', [f"%{needle.lower()}%"])
                if cursor.fetchone()[0]:
                    hits.append(f"{table}.{column} holds {needle!r}")
    return hits


# The simulator's own logs (every request it received, every webhook it sent) are test
# tooling, not data the real system keeps: the store's tables are what is searched.
SIMULATOR_LOGS = ("requests", "webhook_deliveries", "fault", "config")


def _get(url: str) -> Any:
    response = requests.get(url, timeout=10)
    response.raise_for_status()
    return response.json()


def chatwoot_store_text(url: str) -> str:
    state = _get(f"{url}/_sandbox/state")
    return json.dumps({k: v for k, v in state.items() if k not in SIMULATOR_LOGS},
                      ensure_ascii=False).lower()


def twenty_store_text(url: str) -> str:
    """Every record of every object, trashed ones included."""
    objects = _get(f"{url}/_sandbox/state")["objects"]
    records = {name: _get(f"{url}/_sandbox/records/{name}")["records"] for name in objects}
    return json.dumps(records, ensure_ascii=False).lower()


def glpi_store_text(handle: Any) -> str:
    """Every GLPI table of the sandbox (tickets, followups, actors, users, e-mails,
    contacts), trashed rows included."""
    return json.dumps(handle.state()["records"], ensure_ascii=False).lower()


def krayin_store_text(handle: Any) -> str:
    """Every person, organization, lead and activity (audit entries included) of the
    in-process Krayin sandbox."""
    sandbox = handle.sandbox
    with sandbox.lock:
        tables = {name: [dataclasses.asdict(row) for row in getattr(sandbox.db, name).values()]
                  for name in ("organizations", "persons", "leads", "activities")}
    return json.dumps(tables, ensure_ascii=False, default=str).lower()
