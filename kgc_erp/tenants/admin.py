from django.contrib import admin
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from .models import StaffMembership, Tenant


@admin.register(Tenant)
class TenantAdmin(ModelAdmin):
    list_display = ("name", "slug", "kind", "is_active", "created_at")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def has_module_permission(self, request: HttpRequest) -> bool:
        # Only headquarters staff manage stores.
        return request.user.is_superuser or not hasattr(request.user, "tenant_membership")


@admin.register(StaffMembership)
class StaffMembershipAdmin(ModelAdmin):
    list_display = ("user", "tenant")
    list_filter = ("tenant",)
    autocomplete_fields = ("user",)
    search_fields = ("user__username", "tenant__name")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser
