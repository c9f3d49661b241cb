"""The "Bővítmények" (Plugins) admin page and the read-only audit/run lists.

The page is the changelist of PluginState, replaced by an overview of every discovered
plugin x scope; switching, settings, "test connection" and actions are extra admin URLs on
the same ModelAdmin. Everything is guarded by the `plugin_manager.manage_plugins`
permission (superusers have it); staff without it get 403. Changes go through services.py,
so they are validated and audited exactly like the `plugins` command's.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin

from kgc_erp.tenants.admin_scoping import staff_user
from kgc_erp.tenants.models import Tenant
from kgc_erp.tenants.scoping import tenant_of_user, visible_tenants

from . import health
from .actions import find_action, start_action
from .audit_summary import audit_summary
from .forms import PluginSettingsForm
from .models import HealthCheckRecord, PluginActionRun, PluginState, PluginToggleAudit
from .overview import ScopeView, build_overview, scope_key, tenant_for_scope
from .plugins import PluginAppConfig
from .registry import UnknownPlugin, get_plugin
from .runtime import is_enabled
from .services import audit, set_enabled, update_settings
from .settings_values import effective_settings
from .status import HealthStatus

PERMISSION = "plugin_manager.manage_plugins"

SWITCH_TARGETS: dict[str, tuple[bool | None, str]] = {
    "on": (True, "Bekapcsolás"),
    "off": (False, "Kikapcsolás"),
    "inherit": (None, "Öröklés visszaállítása"),
}


def can_manage(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_staff
                and request.user.has_perm(PERMISSION))


class ManagePluginsPermissionMixin:
    """Plugin pages and lists are visible only with the manage_plugins permission."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_manage(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return can_manage(request)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(PluginState)
class PluginStateAdmin(ManagePluginsPermissionMixin, ModelAdmin):
    # --- URLs ---------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("runs/<int:run_id>/result/", wrap(self.run_result_view),
                 name="plugin_manager_run_result"),
            path("runs/<int:run_id>/progress/", wrap(self.run_progress_view),
                 name="plugin_manager_run_progress"),
            path("<str:plugin_id>/<str:scope>/", wrap(self.scope_view),
                 name="plugin_manager_scope"),
            path("<str:plugin_id>/<str:scope>/switch/<str:target>/", wrap(self.switch_view),
                 name="plugin_manager_switch"),
            path("<str:plugin_id>/<str:scope>/test/", wrap(self.test_view),
                 name="plugin_manager_test"),
            path("<str:plugin_id>/<str:scope>/action/<str:name>/", wrap(self.action_view),
                 name="plugin_manager_action"),
            path("", wrap(self.changelist_view), name="plugin_manager_pluginstate_changelist"),
        ]

    # --- helpers ------------------------------------------------------------------------

    def _context(self, request: HttpRequest, title: str, **extra: object) -> dict[str, object]:
        return {**self.admin_site.each_context(request), "title": title,
                "opts": self.model._meta, **extra}

    def _guard(
        self, request: HttpRequest, plugin_id: str, scope: str
    ) -> tuple[PluginAppConfig, Tenant | None]:
        if not can_manage(request):
            raise PermissionDenied
        try:
            plugin = get_plugin(plugin_id)
        except UnknownPlugin:
            raise Http404("Ismeretlen bővítmény.") from None
        tenant = tenant_for_scope(scope)
        restricted_to = tenant_of_user(request.user)
        if restricted_to is not None and (tenant is None or tenant.pk != restricted_to.pk):
            raise PermissionDenied
        return plugin, tenant

    def _scope_view_model(self, request: HttpRequest, plugin_id: str,
                          tenant: Tenant | None) -> ScopeView:
        views = build_overview([tenant] if tenant else [], include_global=tenant is None,
                               plugin_id=plugin_id)
        return views[0].scopes[0]

    def _scope_url(self, plugin_id: str, tenant: Tenant | None) -> str:
        return reverse("admin:plugin_manager_scope", args=(plugin_id, scope_key(tenant)))

    def _back(self, request: HttpRequest, plugin_id: str, tenant: Tenant | None) -> str:
        target = request.POST.get("next") or request.GET.get("next") or ""
        overview = reverse("admin:plugin_manager_pluginstate_changelist")
        return overview if target == "overview" else self._scope_url(plugin_id, tenant)

    # --- pages --------------------------------------------------------------------------

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, object] | None = None
    ) -> HttpResponse:
        if not can_manage(request):
            raise PermissionDenied
        restricted_to = tenant_of_user(request.user)
        plugins = build_overview(visible_tenants(request.user).order_by("name"),
                                 include_global=restricted_to is None)
        down = [
            (view.plugin, scope)
            for view in plugins
            for scope in view.scopes
            if scope.health_status == HealthStatus.DOWN
        ]
        context = self._context(request, "Bővítmények", plugins=plugins, down=down)
        return TemplateResponse(request, "plugin_manager/overview.html", context)

    def scope_view(self, request: HttpRequest, plugin_id: str, scope: str) -> HttpResponse:
        plugin, tenant = self._guard(request, plugin_id, scope)
        state = PluginState.objects.filter(plugin_id=plugin_id, tenant=tenant).first()
        stored = state.settings if state else {}
        # What the scope falls back to without its own values: the global row for a
        # tenant, the env/code defaults for the global scope.
        global_row = None
        if tenant is not None:
            global_row = PluginState.objects.filter(plugin_id=plugin_id, tenant=None).first()
        inherited = effective_settings(
            plugin.settings_schema, global_row.settings if global_row else None, None
        )
        form = PluginSettingsForm(plugin, stored, inherited,
                                  data=request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            changes, clear = form.changes()
            try:
                update_settings(plugin_id, tenant, changes, clear=clear, user=staff_user(request))
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.success(request, "A beállítások mentve.")
                return HttpResponseRedirect(self._scope_url(plugin_id, tenant))
        audits = PluginToggleAudit.objects.filter(plugin_id=plugin_id, tenant=tenant)[:15]
        context = self._context(
            request, f"{plugin.plugin_name} — {tenant.name if tenant else 'Globális'}",
            plugin=plugin, scope=self._scope_view_model(request, plugin_id, tenant),
            form=form, audits=audits,
        )
        return TemplateResponse(request, "plugin_manager/scope.html", context)

    def switch_view(self, request: HttpRequest, plugin_id: str, scope: str,
                    target: str) -> HttpResponse:
        plugin, tenant = self._guard(request, plugin_id, scope)
        if target not in SWITCH_TARGETS:
            raise Http404("Ismeretlen kapcsolás.")
        enabled, verb = SWITCH_TARGETS[target]
        if request.method == "POST":
            try:
                now_enabled = set_enabled(plugin_id, tenant, enabled, user=staff_user(request))
            except ValidationError as exc:
                # The messages name the field ("A(z) „API kulcs” mező ...").
                for errors in exc.message_dict.values():
                    for error in errors:
                        messages.error(request, f"Nem kapcsolható be: {error}")
                return HttpResponseRedirect(self._scope_url(plugin_id, tenant))
            state_text = "bekapcsolva" if now_enabled else "kikapcsolva"
            messages.success(request, f"{plugin.plugin_name}: {state_text} "
                                      f"({tenant.name if tenant else 'globálisan'}).")
            return HttpResponseRedirect(self._back(request, plugin_id, tenant))
        context = self._context(
            request, f"{verb}: {plugin.plugin_name}", plugin=plugin, verb=verb,
            target=target, scope=self._scope_view_model(request, plugin_id, tenant),
            next=request.GET.get("next", ""),
        )
        return TemplateResponse(request, "plugin_manager/confirm_switch.html", context)

    def test_view(self, request: HttpRequest, plugin_id: str, scope: str) -> HttpResponse:
        return require_POST(self._test)(request, plugin_id, scope)

    def _test(self, request: HttpRequest, plugin_id: str, scope: str) -> HttpResponse:
        plugin, tenant = self._guard(request, plugin_id, scope)
        tenant_id = tenant.pk if tenant else None
        result = health.evaluate(plugin_id, tenant_id, force=True)
        if is_enabled(plugin_id, tenant_id):
            health.record(plugin_id, tenant_id, result)
        audit(plugin_id, tenant, PluginToggleAudit.Action.TEST, user=staff_user(request), details={
            "status": result.status, "latency_ms": result.latency_ms, "error": result.error,
        })
        label = HealthStatus(result.status).label
        latency = f", {result.latency_ms:.0f} ms" if result.latency_ms is not None else ""
        text = f"Kapcsolat tesztelése — {plugin.plugin_name}: {label}{latency}"
        if result.error:
            text += f" ({result.error})"
        level = {HealthStatus.HEALTHY: messages.SUCCESS, HealthStatus.DEGRADED: messages.WARNING,
                 HealthStatus.UNKNOWN: messages.INFO}.get(HealthStatus(result.status),
                                                          messages.ERROR)
        messages.add_message(request, level, text)
        return HttpResponseRedirect(self._back(request, plugin_id, tenant))

    def action_view(self, request: HttpRequest, plugin_id: str, scope: str,
                    name: str) -> HttpResponse:
        plugin, tenant = self._guard(request, plugin_id, scope)
        try:
            action = find_action(plugin_id, name)
        except ValidationError:
            raise Http404("Ismeretlen művelet.") from None
        if request.method == "POST":
            try:
                run = start_action(plugin_id, tenant, name, user=staff_user(request))
            except ValidationError as exc:
                for errors in exc.message_dict.values():
                    for error in errors:
                        messages.error(request, error)
            else:
                messages.success(request, f"„{action.label}” elindítva (#{run.pk}).")
            return HttpResponseRedirect(self._scope_url(plugin_id, tenant))
        context = self._context(
            request, f"{action.label}: {plugin.plugin_name}", plugin=plugin, action=action,
            scope=self._scope_view_model(request, plugin_id, tenant),
        )
        return TemplateResponse(request, "plugin_manager/confirm_action.html", context)

    def run_result_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        """An action run's result, for whoever started it or may start that action."""
        run = get_object_or_404(PluginActionRun, pk=run_id)
        restricted_to = tenant_of_user(request.user)
        if restricted_to is not None and run.tenant_id != restricted_to.pk:
            raise PermissionDenied
        permission = getattr(find_action(run.plugin_id, run.action), "permission", None)
        allowed = (run.started_by_id == request.user.pk or can_manage(request)
                   or (permission is not None and request.user.has_perm(permission)))
        if not allowed:
            raise PermissionDenied
        if run.status == PluginActionRun.Status.SUCCEEDED and run.result is not None:
            body = json.dumps(run.result, ensure_ascii=False, indent=2)
            response = HttpResponse(body, content_type="application/json; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="{run.plugin_id}-{run.action}-{run.pk}.json"'
            )
            return response
        context = self._context(request, f"{run.action_label} (#{run.pk})", run=run)
        return TemplateResponse(request, "plugin_manager/run_result.html", context)

    def run_progress_view(self, request: HttpRequest, run_id: int) -> JsonResponse:
        if not can_manage(request):
            raise PermissionDenied
        run = get_object_or_404(PluginActionRun, pk=run_id)
        restricted_to = tenant_of_user(request.user)
        if restricted_to is not None and run.tenant_id != restricted_to.pk:
            raise PermissionDenied
        return JsonResponse({
            "id": run.pk, "status": run.status, "status_label": run.get_status_display(),
            "current": run.progress_current, "total": run.progress_total,
            "percent": run.percent, "message": run.message, "finished": run.is_finished,
        })


@admin.register(PluginToggleAudit)
class PluginToggleAuditAdmin(ManagePluginsPermissionMixin, ModelAdmin):
    list_display = ("created_at", "actor", "action", "plugin_id", "scope_label", "summary")
    list_filter = ("action", "plugin_id")
    search_fields = ("plugin_id", "actor", "scope_label")
    date_hierarchy = "created_at"

    @admin.display(description="részletek")
    def summary(self, obj: PluginToggleAudit) -> str:
        return audit_summary(obj.plugin_id, obj.action, obj.details or {})


@admin.register(PluginActionRun)
class PluginActionRunAdmin(ManagePluginsPermissionMixin, ModelAdmin):
    list_display = ("created_at", "plugin_id", "tenant", "label", "status",
                    "progress_current", "progress_total", "message", "finished_at")
    readonly_fields = ("parameters", "result")

    @admin.display(description="művelet", ordering="action")
    def label(self, obj: PluginActionRun) -> str:
        return obj.action_label
    list_filter = ("status", "plugin_id", "action")


@admin.register(HealthCheckRecord)
class HealthCheckRecordAdmin(ManagePluginsPermissionMixin, ModelAdmin):
    """The health history; the integrations dashboard links here, filtered."""

    list_display = ("checked_at", "plugin_id", "tenant", "status", "latency_ms", "error")
    list_filter = ("status", "plugin_id", "tenant")
    list_select_related = ("tenant",)
    date_hierarchy = "checked_at"
