"""Scope checks: a view declares the scope it needs in `required_scope`."""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from .errors import InsufficientScope, MissingKey
from .models import ApiKey
from .scopes import Scope


class HasRequiredScope(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            raise MissingKey()
        required: Scope = getattr(view, "required_scope", Scope.READ)
        if not api_key.has_scope(required):
            raise InsufficientScope(
                f"Az API kulcs nem jogosult erre a műveletre "
                f"(szükséges jogosultság: {required.value})."
            )
        return True
