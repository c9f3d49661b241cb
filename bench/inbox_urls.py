"""The project's URLs plus two comparison views for the inbox benchmark:

- `/bench/bare/`: a Django view that only answers 200, the baseline the inbox's
  acknowledgement is compared with in the same server;
- `/bench/unstored/<source>/<tenant_slug>/`: everything the inbox does before it stores
  (tenant, plugin state, body read, signature check, JSON parse, account check) and
  nothing after, which splits the inbox's cost into "checking" and "storing durably".
"""

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from apps.plugin_manager import runtime, snapshot
from apps.plugin_manager.eventbus.inbox.registry import get_source
from apps.plugin_manager.eventbus.inbox.tenants import active_tenant
from apps.plugin_manager.eventbus.inbox.views import STATE_STALENESS_SECONDS
from kgc_erp.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b'{"status":"ok"}', content_type="application/json")


@csrf_exempt
def unstored(request: HttpRequest, source_name: str, tenant_slug: str) -> JsonResponse:
    source = get_source(source_name)
    tenant = active_tenant(tenant_slug)
    if source is None or tenant is None:
        return JsonResponse({"error": "unknown"}, status=404)
    with snapshot.pin(max_staleness=STATE_STALENESS_SECONDS):
        if not runtime.is_enabled(source.plugin_id, tenant.pk):
            return JsonResponse({"error": "source_disabled"}, status=404)
        raw = request.read()
        secret = source.secret_for(tenant) or ""
        if not source.verify(request.headers, raw, secret, timezone.now()).ok:
            return JsonResponse({"error": "signature"}, status=401)
        payload = json.loads(raw)
        source.event_type(payload)
        if source.check_tenant(tenant, payload):
            return JsonResponse({"error": "tenant"}, status=403)
    return JsonResponse({"status": "accepted"})


urlpatterns: list[URLPattern | URLResolver] = [
    path("bench/bare/", bare),
    path("bench/unstored/<str:source_name>/<slug:tenant_slug>/", unstored),
    *project_urlpatterns,
]
