"""The per-e-mail "sending" mark, sent without waiting for its answer.

Each e-mail's row goes claimed → sending (committed) before its message data, so that a
worker killed inside the SMTP transaction leaves a row the retry fails as uncertain
instead of sending it again (`batches.py`). The mark's database round trip used to come
first, then MAIL FROM, RCPT TO, DATA and the data: five waits in a row per e-mail, and
on a busy machine every wait is a wait for a core as well.

The mark only has to be committed before the DATA command, so it now travels with
MAIL FROM and RCPT TO: the statement is written to the database connection, the two
SMTP commands go out and their answers come back, and only then is the mark's answer
read (it has normally arrived by then). The SMTP session calls `PendingMark.confirm`
right before DATA; a mark that did not take (the partner changed, or the row is no longer
ours) ends the SMTP transaction with RSET, and nothing of the message was sent. A worker
killed before DATA leaves at most this one row "sending": uncertain, as before, never
sent twice.

This uses psycopg's libpq layer (`psycopg.pq`, public API) on Django's own connection:
a named prepared statement sent with PQsendQueryPrepared and its result collected before
anything else uses the connection. The connection is in autocommit, so the statement is
its own transaction (with `synchronous_commit` off for it alone: see `batches.py`).
"""

from __future__ import annotations

import select
from datetime import datetime
from typing import Any

import psycopg
from psycopg import pq

from .models import CampaignSend

_TABLE = CampaignSend._meta.db_table
_NAME = b"kgc_campaign_mark_v1"
# int8, text, bool, timestamptz
_INT8, _TEXT, _BOOL, _TIMESTAMPTZ = 20, 25, 16, 1184

# One e-mail: the previous e-mail's outcome ($1-$5), then claimed → sending ($6-$10) if
# the partner still qualifies; no WAL flush awaited.
_MARK_SQL = f"""
WITH no_flush AS (SELECT set_config('synchronous_commit', 'off', true) AS value),
outcome AS (
    UPDATE {_TABLE}
       SET status = $3, error = $4, sent_at = $5
     WHERE id = $1 AND status = $2
    RETURNING id
), marked AS (
    UPDATE {_TABLE} s
       SET status = $7
      FROM partners_partner p
     WHERE s.id = $6 AND s.status = $8 AND s.claimed_at = $9
       AND p.id = s.partner_id AND p.is_active AND p.email = s.to_email
       AND (p.marketing_consent OR NOT $10)
    RETURNING s.id
)
SELECT (SELECT count(*) FROM marked), (SELECT count(*) FROM no_flush),
       (SELECT count(*) FROM outcome)
"""  # the table names are the models', not input
_TYPES = (_INT8, _TEXT, _TEXT, _TEXT, _TIMESTAMPTZ,
          _INT8, _TEXT, _TEXT, _TIMESTAMPTZ, _BOOL)
_DUPLICATE_PREPARED_STATEMENT = b"42P05"


def _text(value: int | str | bool | datetime | None) -> bytes | None:
    """A parameter in PostgreSQL's text input format."""
    if value is None:
        return None
    if isinstance(value, bool):
        return b"t" if value else b"f"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a naive datetime for timestamptz")
        return value.isoformat().encode()
    return str(value).encode()


class MarkConnection:
    """Django's psycopg connection, used through libpq for the marks of one batch."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.pgconn = raw.pgconn
        self._readable, self._writable = select.poll(), select.poll()
        self._readable.register(self.pgconn.socket, select.POLLIN)
        self._writable.register(self.pgconn.socket, select.POLLOUT)
        # Once per batch: a new connection (or one whose statements were deallocated)
        # gets the statement; an existing one answers "already exists".
        self.pgconn.send_prepare(_NAME, _MARK_SQL.encode(), _TYPES)
        self._flush()
        for result in self._results():
            if (result.status == pq.ExecStatus.FATAL_ERROR and result.error_field(
                    pq.DiagnosticField.SQLSTATE) != _DUPLICATE_PREPARED_STATEMENT):
                raise psycopg.OperationalError(
                    f"preparing the campaign mark: {result.error_message.decode()}")

    def send(self, outcome: tuple[int | None, str, str, str, datetime | None],
             send_id: int, marketing: bool, sending: str, claimed: str,
             claimed_at: datetime | None) -> PendingMark:
        params = [_text(value) for value in (*outcome, send_id, sending, claimed, claimed_at,
                                              marketing)]
        self.pgconn.send_query_prepared(_NAME, params)
        self._flush()
        return PendingMark(self)

    def _flush(self) -> None:
        while self.pgconn.flush():  # the rest of the statement did not fit the socket
            self._writable.poll()

    def _results(self) -> list[pq.abc.PGresult]:
        """Every result of the statement in flight (the connection is free afterwards)."""
        pgconn = self.pgconn
        pgconn.consume_input()
        while pgconn.is_busy():
            self._readable.poll()
            pgconn.consume_input()
        results = []
        while (result := pgconn.get_result()) is not None:
            results.append(result)
        if not results and pgconn.status != pq.ConnStatus.OK:
            raise psycopg.OperationalError(pgconn.get_error_message())
        return results


class PendingMark:
    """One mark on its way; `confirm` waits for its answer (once)."""

    def __init__(self, connection: MarkConnection) -> None:
        self._connection = connection
        self._marked: bool | None = None
        self._error: Exception | None = None

    def confirm(self) -> bool:
        """True when the row is now "sending" (committed); the connection is free again."""
        if self._error is not None:
            raise self._error
        if self._marked is None:
            try:
                self._marked = self._read()
            except Exception as exc:
                self._error = exc
                raise
        return self._marked

    def _read(self) -> bool:
        marked = False
        error = ""
        for result in self._connection._results():
            if result.status == pq.ExecStatus.TUPLES_OK and result.ntuples:
                marked = result.get_value(0, 0) == b"1"
            elif result.status != pq.ExecStatus.TUPLES_OK:
                error = error or result.error_message.decode("utf-8", "replace")
        if error:
            raise psycopg.OperationalError(f"campaign mark: {error}")
        return marked


__all__ = ("MarkConnection", "PendingMark")
