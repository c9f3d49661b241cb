"""The project's URLs plus `/bench/bare/`: a Django view that only answers 200, the
baseline the inbox's acknowledgement is compared with in the same server."""

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path
from django.views.decorators.csrf import csrf_exempt

from kgc_erp.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b'{"status":"ok"}', content_type="application/json")


urlpatterns: list[URLPattern | URLResolver] = [
    path("bench/bare/", bare),
    *project_urlpatterns,
]
