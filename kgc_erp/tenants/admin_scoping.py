"""Admin mixin that confines franchise staff to their own tenant's rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from django.db.models import ForeignKey, Model, QuerySet
from django.forms import ModelChoiceField, ModelForm
from django.http import HttpRequest

from .models import Tenant
from .scoping import tenant_of_user

if TYPE_CHECKING:
    from django.contrib.auth.models import User


_ModelT = TypeVar("_ModelT", bound=Model)


def staff_user(request: HttpRequest) -> User:
    """The logged-in user of an admin request (the admin site lets no anonymous user in)."""
    return cast("User", request.user)


class TenantScopedAdminMixin(Generic[_ModelT]):
    """Filters querysets, foreign-key choices and new rows by the user's tenant.

    `tenant_lookup` is the ORM path from the admin's model to its `Tenant`.
    """

    tenant_lookup: str = "tenant"

    def get_queryset(self, request: HttpRequest) -> QuerySet[_ModelT]:
        # misc: super() is the ModelAdmin after this mixin in the MRO, unknown to mypy here.
        queryset: QuerySet[_ModelT] = super().get_queryset(request)  # type: ignore[misc]
        tenant = tenant_of_user(request.user)
        if tenant is None:
            return queryset
        return queryset.filter(**{self.tenant_lookup: tenant})

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        tenant = tenant_of_user(request.user)
        if tenant is not None:
            related = db_field.related_model
            if related is Tenant:
                kwargs["queryset"] = Tenant.objects.filter(pk=tenant.pk)
                kwargs["initial"] = tenant
            elif related != "self" and any(
                f.name == "tenant" for f in related._meta.get_fields()
            ):
                kwargs["queryset"] = related._default_manager.filter(tenant=tenant)
        return super().formfield_for_foreignkey(  # type: ignore[misc]  # super(): as above
            db_field, request, **kwargs
        )

    def save_model(
        self, request: HttpRequest, obj: _ModelT, form: ModelForm[_ModelT], change: bool
    ) -> None:
        tenant = tenant_of_user(request.user)
        if tenant is not None and hasattr(obj, "tenant_id") and not change:
            obj.tenant = tenant  # type: ignore[attr-defined]  # checked by hasattr just above
        super().save_model(request, obj, form, change)  # type: ignore[misc]  # super(): as above
