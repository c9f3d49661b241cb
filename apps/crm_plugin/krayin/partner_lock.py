"""One writer per partner at a time (a PostgreSQL advisory lock).

Deliveries of different objects run in parallel (a partner's update and its rental's
completion are two objects), and both write the partner's person and aggregates note.
Krayin has no upsert, so two concurrent first writes would create the aggregates note
twice; serialising the writers per partner closes that window. Session-level, so no
transaction is held open across the HTTP calls; released in `finally` (and by
PostgreSQL if the connection dies).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

LOCK_CLASS = 0x4B52  # "KR": this connector's advisory-lock namespace


@contextmanager
def partner_lock(partner_pk: int) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_CLASS, int(partner_pk)])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, int(partner_pk)])


__all__ = ("partner_lock",)
