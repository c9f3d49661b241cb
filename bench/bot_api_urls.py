"""The project's URLs plus the bot API benchmark's baseline views (benchmark only).

`/bench/minimal/by-phone/<phone>` and `/bench/minimal/worklog/<number>`: a plain Django
view doing the endpoint's own indexed query (the same SQL text and parameters as the API's,
the phone normalised the same way, the privacy tombstone check inside the statement as in
the API) and answering its row as JSON: no DRF, no key check, no plugin switch, no rate
limit, no audit row. Served by the same gunicorn as the API, so the ratio "API / minimal
view" measures what the API's own machinery costs.
"""

import os

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, path

from apps.support_plugin.bot_api.queries import customer_statement, worklog_statement
from kgc_erp.partners.phone import normalize_phone
from kgc_erp.urls import urlpatterns as project_urlpatterns

# The headquarters' id, as the API takes it from the key; the benchmark passes it.
TENANT_ID = int(os.environ.get("BENCH_BOT_API_TENANT_ID", "0"))


def _row(sql: str, params: object) -> dict[str, object] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        names = [column.name for column in cursor.description]
    return dict(zip(names, row, strict=True))


def minimal_by_phone(request: HttpRequest, phone: str) -> JsonResponse:
    row = _row(*customer_statement(TENANT_ID, normalize_phone(phone)))
    if row is None:
        return JsonResponse({"code": "not_found"}, status=404)
    return JsonResponse(row)


def minimal_worklog(request: HttpRequest, number: str) -> JsonResponse:
    row = _row(*worklog_statement(TENANT_ID, number))
    if row is None:
        return JsonResponse({"code": "not_found"}, status=404)
    return JsonResponse({key: value if isinstance(value, (int, str, bool, type(None)))
                         else str(value) for key, value in row.items()})


urlpatterns: list[URLPattern | URLResolver] = [
    path("bench/minimal/by-phone/<str:phone>", minimal_by_phone),
    path("bench/minimal/worklog/<str:number>", minimal_worklog),
    *project_urlpatterns,
]
