"""The database going away under the API (a PostgreSQL restart, a failover) is a JSON 503
with Retry-After, never a 500: found by the soak run (bench/soak.py), where every bot API
call during `pg_ctl restart` answered Django's HTML 500.

The outage is real: this test's own database connection is terminated by PostgreSQL
(`pg_terminate_backend`, what a fast restart does to every session) before the call."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from apps.support_plugin.bot_api.models import ApiCallLog
from tests.factories import PartnerFactory

from .helpers import BotClient

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/api/v1/customers/by-phone/+36301234567"


def terminate_this_connection() -> None:
    """PostgreSQL ends this process's session, as `pg_ctl restart -m fast` does."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_lost_database_connection_answers_503_with_retry_after(api: BotClient) -> None:
    PartnerFactory(phone="+36301234567")
    assert api.get(PATH).status_code == 200

    terminate_this_connection()
    response = api.get(PATH)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["code"] == "temporarily_unavailable"
    assert "átmenetileg nem érhető el" in body["detail"]

    # The server drops the broken connection at the end of the request (the test client
    # does not, so the test does): the next call is served again and audited.
    connection.close()
    audited = ApiCallLog.objects.count()
    assert api.get(PATH).status_code == 200
    assert ApiCallLog.objects.count() == audited + 1
