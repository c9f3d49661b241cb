"""Allocating the next document number.

The counter row is incremented with one `INSERT ... ON CONFLICT DO UPDATE` inside the
caller's transaction. PostgreSQL keeps the row locked until that transaction ends, so
concurrent creators queue up, and a rolled-back creation also rolls back its number:
numbers are unique and have no gaps.
"""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction

RENTAL_PREFIX = "R"
WORKLOG_PREFIX = "M"
ORDER_PREFIX = "O"


def allocate_number(prefix: str, on_date: date) -> str:
    (number,) = allocate_numbers(prefix, on_date.year, 1)
    return number


def allocate_numbers(prefix: str, year: int, count: int) -> list[str]:
    """Reserve `count` consecutive numbers at once (bulk imports and demo data)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Document numbers must be allocated inside a transaction.")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO numbering_documentsequence (prefix, year, last_value)
            VALUES (%s, %s, %s)
            ON CONFLICT (prefix, year)
            DO UPDATE SET last_value = numbering_documentsequence.last_value + EXCLUDED.last_value
            RETURNING last_value
            """,
            [prefix, year, count],
        )
        (last,) = cursor.fetchone()
    return [format_number(prefix, year, value) for value in range(last - count + 1, last + 1)]


def format_number(prefix: str, year: int, value: int) -> str:
    return f"{prefix}-{year}-{value:04d}"
