"""Bot API URLs, mounted under /api/ by BotApiConfig.mounted_urls.

/api/v1/...    the endpoints
/api/schema/   OpenAPI 3 schema (drf-spectacular), this API only
/api/docs/     Swagger UI (assets served locally by drf-spectacular-sidecar)
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path, register_converter
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .converters import AnyTextConverter
from .schema import SPECTACULAR_SETTINGS
from .views.appointments import AppointmentCreateView
from .views.customers import CustomerByPhoneView, CustomerDuplicatesView
from .views.inventory import InventoryCheckView
from .views.orders import OrderArrivalView, OrderStatusView
from .views.privacy import CustomerEraseView, PrivacyRequestStatusView
from .views.rentals import RentalStatusView
from .views.worklogs import WorklogStatusView

app_name = "bot_api"
register_converter(AnyTextConverter, "anytext")


@csrf_exempt
def unknown_endpoint(request: HttpRequest) -> JsonResponse:
    """Any other /api/v1/ URL: the API's JSON 404, never Django's HTML page (also for a
    DELETE or POST, which the CSRF check would otherwise answer with an HTML 403)."""
    return JsonResponse({"code": "not_found", "detail": "Nincs ilyen API végpont."}, status=404)


class BotApiSwaggerView(SpectacularSwaggerView):
    """Swagger UI from the locally installed sidecar assets, whatever the global
    SWAGGER_UI_DIST says: the docs must work on a counter PC without CDN access."""

    title = SPECTACULAR_SETTINGS["TITLE"]

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        from django.templatetags.static import static

        return static(f"drf_spectacular_sidecar/swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon() -> str:
        from django.templatetags.static import static

        return static("drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png")


urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/customers/by-phone/<anytext:phone>", CustomerByPhoneView.as_view(),
         name="customer-by-phone"),
    path("v1/customers/duplicates", CustomerDuplicatesView.as_view(),
         name="customer-duplicates"),
    path("v1/customers/<int:customer_id>", CustomerEraseView.as_view(),
         name="customer-erase"),
    path("v1/privacy-requests/<int:request_id>", PrivacyRequestStatusView.as_view(),
         name="privacy-request-status"),
    path("v1/rentals/<str:number>/status", RentalStatusView.as_view(), name="rental-status"),
    path("v1/service/worklogs/<str:number>/status", WorklogStatusView.as_view(),
         name="worklog-status"),
    path("v1/service/appointments", AppointmentCreateView.as_view(),
         name="appointment-create"),
    path("v1/orders/<str:number>/status", OrderStatusView.as_view(), name="order-status"),
    path("v1/orders/<str:number>/estimated-arrival", OrderArrivalView.as_view(),
         name="order-estimated-arrival"),
    path("v1/inventory/check", InventoryCheckView.as_view(), name="inventory-check"),
    re_path(r"^v1/", unknown_endpoint, name="unknown-endpoint"),
    path("schema/", SpectacularAPIView.as_view(custom_settings=SPECTACULAR_SETTINGS),
         name="schema"),
    path("docs/", BotApiSwaggerView.as_view(url_name="bot_api:schema"), name="docs"),
]
