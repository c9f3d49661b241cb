"""Which tenants' data a staff user may see.

Superusers and staff without a `StaffMembership` work for the headquarters and see every
tenant; a franchise employee sees only the tenant of their membership.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from .models import StaffMembership, Tenant


def tenant_of_user(user: AbstractBaseUser | AnonymousUser) -> Tenant | None:
    """The tenant the user is restricted to, or None when the user sees all tenants."""
    if not user.is_authenticated or getattr(user, "is_superuser", False):
        return None
    membership = StaffMembership.objects.select_related("tenant").filter(user_id=user.pk).first()
    return membership.tenant if membership else None


def visible_tenants(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Tenant]:
    restricted_to = tenant_of_user(user)
    if restricted_to is None:
        return Tenant.objects.all()
    return Tenant.objects.filter(pk=restricted_to.pk)
