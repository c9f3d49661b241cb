"""The project's URLs plus three comparison views for the inbox benchmark:

- `/bench/bare/`: a Django view that only answers 200 (no durable work at all);
- `/bench/raw/`: the minimum durable acknowledgement, the fair baseline of the inbox:
  one INSERT of the raw body into a plain table (`bench_raw_webhook`, created and dropped
  by bench/inbox_ack.py, not a product model) committed before the 200, no checks;
- `/bench/unstored/<source>/<tenant_slug>/`: everything the inbox does before it stores
  (tenant, plugin state, body read, signature check, JSON parse, account check) and
  nothing after, which splits the inbox's cost into "checking" and "storing durably".
"""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, path
from django.views.decorators.csrf import csrf_exempt

from apps.plugin_manager.eventbus.inbox.registry import get_source
from apps.plugin_manager.eventbus.inbox.views import Received, Refusal, check_delivery
from kgc_erp.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b'{"status":"ok"}', content_type="application/json")


RAW_TABLE = "bench_raw_webhook"


@csrf_exempt
def raw_insert(request: HttpRequest) -> HttpResponse:
    # Autocommit: the INSERT is committed when execute() returns, before the 200, as the
    # inbox's row is.
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {RAW_TABLE} (body) VALUES (%s)", [request.body])
    return HttpResponse(b'{"status":"accepted"}', content_type="application/json")


@csrf_exempt
def unstored(request: HttpRequest, source_name: str, tenant_slug: str) -> JsonResponse:
    """The inbox's own checks (views.check_delivery), then 200 without storing."""
    source = get_source(source_name)
    if source is None:
        return JsonResponse({"error": "unknown_source"}, status=404)
    try:
        check_delivery(request, source, tenant_slug, Received())
    except Refusal as refusal:
        return JsonResponse({"error": refusal.reason}, status=refusal.status)
    return JsonResponse({"status": "accepted"})


urlpatterns: list[URLPattern | URLResolver] = [
    path("bench/bare/", bare),
    path("bench/raw/", raw_insert),
    path("bench/unstored/<str:source_name>/<slug:tenant_slug>/", unstored),
    *project_urlpatterns,
]
