"""The project's URLs plus two comparison views for the inbox benchmark:

- `/bench/bare/`: a Django view that only answers 200, the baseline the inbox's
  acknowledgement is compared with in the same server;
- `/bench/unstored/<source>/<tenant_slug>/`: everything the inbox does before it stores
  (tenant, plugin state, body read, signature check, JSON parse, account check) and
  nothing after, which splits the inbox's cost into "checking" and "storing durably".
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, path
from django.views.decorators.csrf import csrf_exempt

from apps.plugin_manager.eventbus.inbox.registry import get_source
from apps.plugin_manager.eventbus.inbox.views import Received, Refusal, check_delivery
from kgc_erp.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b'{"status":"ok"}', content_type="application/json")


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
    path("bench/unstored/<str:source_name>/<slug:tenant_slug>/", unstored),
    *project_urlpatterns,
]
