"""The base view every bot API endpoint derives from.

Order of checks, each with its own status code:
1. the key (missing, unknown, expired, revoked -> 401),
2. the support plugin switched on for the key's tenant (off -> 503),
3. the scope the endpoint needs (-> 403),
4. the key's rate limit (-> 429 with Retry-After),
5. no query parameter the endpoint does not know (-> 400).
Every answer, success or error, is written to the audit log.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from django.http import HttpRequest
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from ..audit import AuditSubject, record_call
from ..authentication import BearerApiKeyAuthentication
from ..errors import InvalidParameter, MissingKey, PluginDisabled, api_exception_handler
from ..models import ApiKey
from ..permissions import HasRequiredScope
from ..plugin_switch import support_enabled_for
from ..scopes import Scope
from ..throttling import ApiKeyRateThrottle


class JsonOnlyNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with the answer for the bot's usual `Accept` (none, `*/*` or
    `application/json`) given without parsing: it is what DRF picks for them with the
    API's one JSON renderer. Anything else (`?format=`, other media types, parameters)
    goes through DRF's own rules, 406 included."""

    _PLAIN = frozenset(("*/*", "application/json"))

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)  # DRF passes a list already
        accept = request.META.get("HTTP_ACCEPT", "*/*")
        if (
            len(renderers) == 1
            and renderers[0].media_type == "application/json"
            and accept in self._PLAIN
            and not format_suffix
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return renderers[0], "application/json"
        chosen: tuple[BaseRenderer, str] = super().select_renderer(
            request, renderers, format_suffix
        )
        return chosen


class BotApiView(APIView):
    content_negotiation_class = JsonOnlyNegotiation
    authentication_classes = (BearerApiKeyAuthentication,)
    permission_classes = (HasRequiredScope,)
    throttle_classes = (ApiKeyRateThrottle,)
    renderer_classes = (JSONRenderer,)
    parser_classes = (JSONParser,)

    required_scope: ClassVar[Scope] = Scope.READ
    # Stable endpoint name in the audit log (the URL name would change with refactors).
    audit_endpoint: ClassVar[str] = ""
    # The query parameters the endpoint takes; any other one is refused with 400, so a
    # mistyped `locaton=` cannot silently widen an answer.
    query_serializer_class: ClassVar[type[Serializer] | None] = None
    # Audit log: URL arguments that are personal data are masked; query values are
    # masked unless listed here as harmless.
    masked_url_kwargs: ClassVar[tuple[str, ...]] = ()
    logged_query_params: ClassVar[tuple[str, ...]] = ()

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        self._started = time.perf_counter()
        self.audit = AuditSubject()
        return super().initialize_request(request, *args, **kwargs)

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response]:
        return api_exception_handler

    def check_permissions(self, request: Request) -> None:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            raise MissingKey()
        if not support_enabled_for(api_key.tenant_id):
            raise PluginDisabled()
        super().check_permissions(request)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        serializer_class = self.query_serializer_class
        allowed = set(serializer_class().fields) if serializer_class else set()
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise InvalidParameter(
                f"Ismeretlen lekérdezési paraméter: {', '.join(unknown)}.",
                code="unknown_parameter",
            )

    def query(self) -> dict[str, Any]:
        """The validated query parameters (400 with field errors when invalid)."""
        assert self.query_serializer_class is not None
        # A plain dict, not the QueryDict: DRF reads a QueryDict as an HTML form and would
        # take `?phone=` as "not sent" where the schema (minLength 1) says "invalid".
        serializer = self.query_serializer_class(data=self.request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @property
    def api_key(self) -> ApiKey:
        api_key = self.request.auth
        assert isinstance(api_key, ApiKey)  # guaranteed by check_permissions
        return api_key

    @property
    def tenant_id(self) -> int:
        return self.api_key.tenant_id

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        record_call(
            request,
            response,
            endpoint=self.audit_endpoint or type(self).__name__,
            subject=self.audit,
            masked_kwargs=self.masked_url_kwargs,
            logged_params=self.logged_query_params,
            duration_ms=(time.perf_counter() - self._started) * 1000,
        )
        return response
