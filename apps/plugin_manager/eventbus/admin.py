"""Admin of the event bus: events, deliveries (with attempts), the webhook inbox, outbound
webhook subscriptions, external ids, and a dashboard. Labels are Hungarian.

Outbox and inbox rows are records of what happened: they are read-only here; the only
changes are the retry actions. Franchise staff see only their own tenant's rows.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline

from apps.plugin_manager.eventbus import dashboard, tuning
from apps.plugin_manager.eventbus.integrations.views import integrations_dashboard
from apps.plugin_manager.eventbus.manual_retry import (
    retry_dead_for_subscriber,
    retry_deliveries,
    retry_inbound,
)
from apps.plugin_manager.eventbus.models import (
    Delivery,
    DeliveryAttempt,
    Event,
    ExternalRef,
    InboundDelivery,
    WebhookSubscription,
)
from apps.plugin_manager.registry import known_event_types
from kgc_erp.tenants.admin_scoping import TenantScopedAdminMixin
from kgc_erp.tenants.scoping import tenant_of_user


class ReadOnlyAdminMixin:
    """Rows written by the machinery: viewable and deletable, never hand-edited."""

    model: type[Model]  # set on the ModelAdmin this is mixed into

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        model = self.model
        # misc: super() is the ModelAdmin after this mixin in the MRO, unknown to mypy here.
        declared = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        hidden = set(getattr(self, "exclude", None) or ())
        return declared + [
            f.name for f in model._meta.fields if f.name not in declared and f.name not in hidden
        ]


class SubscriberFilter(admin.SimpleListFilter):
    title = "feliratkozó"
    parameter_name = "subscriber"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        subscribers = (
            model_admin.get_queryset(request)
            .order_by("subscriber")
            .values_list("subscriber", flat=True)
            .distinct()
        )
        return [(s, s) for s in subscribers]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> QuerySet[Delivery]:
        if self.value():
            return queryset.filter(subscriber=self.value())
        return queryset


def pending_next_attempt(delivery: Delivery) -> datetime | str:
    """The next attempt time, only while one will happen: a finished delivery (succeeded,
    dead, skipped) keeps its last `next_attempt_at` in the row, which would read as a
    scheduled retry."""
    if delivery.status != Delivery.Status.PENDING:
        return ""
    return delivery.next_attempt_at


class DeliveryAttemptInline(TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    ordering = ("started_at",)
    fields = ("number", "started_at", "duration_ms", "outcome", "http_status", "error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class DeliveryInline(TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("subscriber", "status", "attempts", "next_attempt_label", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description="következő próbálkozás")
    def next_attempt_label(self, delivery: Delivery) -> datetime | str:
        return pending_next_attempt(delivery)


@admin.register(Event)
class EventAdmin(TenantScopedAdminMixin[Event], ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("id", "type", "tenant", "object_label", "occurred_at")
    list_filter = ("type", "tenant", "object_type")
    search_fields = ("=uuid", "=object_id", "type")
    date_hierarchy = "occurred_at"
    list_select_related = ("tenant",)
    inlines = (DeliveryInline,)

    @admin.display(description="objektum")
    def object_label(self, event: Event) -> str:
        return f"{event.object_type}#{event.object_id}" if event.object_id else "—"


@admin.register(Delivery)
class DeliveryAdmin(TenantScopedAdminMixin[Delivery], ReadOnlyAdminMixin, ModelAdmin):
    list_display = (
        "id",
        "event_type",
        "subscriber",
        "tenant",
        "object_label",
        "status_label",
        "attempts",
        "next_attempt_label",
        "short_error",
    )
    list_filter = ("status", SubscriberFilter, "tenant", "object_type")
    search_fields = ("=object_id", "=event__uuid", "subscriber")
    list_select_related = ("event", "tenant")
    exclude = ("next_attempt_at",)
    inlines = (DeliveryAttemptInline,)
    actions = ("retry_selected", "retry_all_dead_of_subscriber")
    change_list_template = "admin/eventbus/delivery/change_list.html"

    @admin.display(description="esemény", ordering="event__type")
    def event_type(self, delivery: Delivery) -> str:
        return delivery.event.type

    @admin.display(description="objektum")
    def object_label(self, delivery: Delivery) -> str:
        return f"{delivery.object_type}#{delivery.object_id}" if delivery.object_id else "—"

    @admin.display(description="állapot", ordering="status")
    def status_label(self, delivery: Delivery) -> str:
        if delivery.is_running:
            return "Folyamatban"
        return delivery.get_status_display()

    @admin.display(description="utolsó hiba")
    def short_error(self, delivery: Delivery) -> str:
        return delivery.last_error[:80]

    @admin.display(description="következő próbálkozás", ordering="next_attempt_at")
    def next_attempt_label(self, delivery: Delivery) -> datetime | str:
        return pending_next_attempt(delivery)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The raw column is excluded; its place on the detail page (after the attempt
        # count) shows it only where it means something: pending rows.
        fields = [f for f in super().get_readonly_fields(request, obj)
                  if f != "next_attempt_label"]
        position = fields.index("attempts") + 1 if "attempts" in fields else len(fields)
        return [*fields[:position], "next_attempt_label", *fields[position:]]

    @admin.action(description="Újrapróbálás", permissions=["change"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = retry_deliveries(queryset)
        self.message_user(request, f"{count} kézbesítés újra sorba állítva.", messages.SUCCESS)

    @admin.action(
        description="Összes halott újrapróbálása ennél a feliratkozónál", permissions=["change"]
    )
    def retry_all_dead_of_subscriber(
        self, request: HttpRequest, queryset: QuerySet[Delivery]
    ) -> None:
        subscribers = sorted(set(queryset.values_list("subscriber", flat=True)))
        scoped = self.get_queryset(request)
        total = sum(retry_dead_for_subscriber(s, scoped) for s in subscribers)
        self.message_user(
            request,
            f"{total} halott kézbesítés újra sorba állítva ({', '.join(subscribers)}).",
            messages.SUCCESS,
        )

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name="eventbus_delivery_dashboard",
            ),
            path(
                "integrations/",
                self.admin_site.admin_view(self.integrations_view),
                name="eventbus_integrations_dashboard",
            ),
        ]
        return own + super().get_urls()

    def integrations_view(self, request: HttpRequest) -> HttpResponse:
        return integrations_dashboard(self, request)

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        deliveries = self.get_queryset(request)
        inbound = InboundDelivery.objects.all()
        tenant = tenant_of_user(request.user)
        if tenant is not None:
            inbound = inbound.filter(tenant=tenant)
        context = {
            **self.admin_site.each_context(request),
            "title": "Eseménybusz áttekintés",
            "opts": self.model._meta,
            "totals": dashboard.status_totals(deliveries),
            "subscribers": dashboard.subscriber_figures(deliveries),
            "inbound": dashboard.inbound_figures(inbound),
            "changelist_url": reverse("admin:eventbus_delivery_changelist"),
        }
        return TemplateResponse(request, "admin/eventbus/dashboard.html", context)


@admin.register(InboundDelivery)
class InboundDeliveryAdmin(TenantScopedAdminMixin[InboundDelivery], ReadOnlyAdminMixin, ModelAdmin):
    list_display = (
        "id",
        "source",
        "tenant",
        "event_type",
        "status",
        "verification",
        "response_status",
        "received_at",
    )
    list_filter = ("source", "status", "verification", "tenant")
    search_fields = ("=delivery_id", "event_type")
    list_select_related = ("tenant",)
    readonly_fields = ("pretty_body", "pretty_headers")
    exclude = ("raw_body", "headers")
    actions = ("retry_selected",)

    @admin.display(description="nyers törzs")
    def pretty_body(self, delivery: InboundDelivery) -> str:
        text = delivery.body_text
        # Malformed bodies are shown as received: they are exactly what one wants to see.
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        suffix = ""
        if len(bytes(delivery.raw_body)) < delivery.body_size:
            suffix = f"\n… (csak az első {len(bytes(delivery.raw_body))} bájt tárolva)"
        return format_html('<pre style="white-space: pre-wrap">{}{}</pre>', text, suffix)

    @admin.display(description="fejlécek")
    def pretty_headers(self, delivery: InboundDelivery) -> str:
        lines = "\n".join(f"{k}: {v}" for k, v in sorted(delivery.headers.items()))
        return format_html("<pre>{}</pre>", lines)

    @admin.action(description="Újrafeldolgozás", permissions=["change"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[InboundDelivery]) -> None:
        count = retry_inbound(queryset)
        self.message_user(request, f"{count} webhook újra feldolgozásra vár.", messages.SUCCESS)


class WebhookSubscriptionForm(forms.ModelForm):
    target_url = forms.URLField(label="Cél URL", max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label="Eseménytípusok", widget=forms.CheckboxSelectMultiple, choices=()
    )

    class Meta:
        model = WebhookSubscription
        fields = ("tenant", "name", "target_url", "event_types", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["event_types"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(t, t) for t in sorted(known_event_types())]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(TenantScopedAdminMixin[WebhookSubscription], ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ("name", "tenant", "target_url", "event_list", "is_active", "rotation_state")
    list_filter = ("is_active", "tenant")
    search_fields = ("name", "target_url")
    actions = ("rotate_secret",)

    @admin.display(description="események")
    def event_list(self, subscription: WebhookSubscription) -> str:
        return ", ".join(subscription.event_types)

    @admin.display(description="előző kulcs érvényes")
    def rotation_state(self, subscription: WebhookSubscription) -> str:
        until = subscription.previous_secret_valid_until
        return f"{until:%Y-%m-%d %H:%M}-ig" if until else "—"

    def save_model(
        self, request: HttpRequest, obj: WebhookSubscription, form: ModelForm[WebhookSubscription],
        change: bool,
    ) -> None:
        secret = None if change else obj.set_new_secret()
        super().save_model(request, obj, form, change)
        if secret:
            self.message_user(
                request,
                f"A(z) „{obj.name}” titkos kulcsa (csak most látható, másolja ki): {secret}",
                messages.WARNING,
            )

    @admin.action(description="Titkos kulcs cseréje", permissions=["change"])
    def rotate_secret(
        self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]
    ) -> None:
        grace = tuning.webhook_secret_grace()
        hours = grace.total_seconds() / 3600
        for subscription in queryset:
            secret = subscription.rotate_secret(grace)
            subscription.save()
            self.message_user(
                request,
                f"A(z) „{subscription.name}” új titkos kulcsa (csak most látható): {secret} — "
                f"a régi még {hours:g} óráig érvényes.",
                messages.WARNING,
            )


@admin.register(ExternalRef)
class ExternalRefAdmin(TenantScopedAdminMixin[ExternalRef], ReadOnlyAdminMixin, ModelAdmin):
    list_display = (
        "object_type",
        "object_id",
        "system",
        "external_id",
        "sync_status",
        "last_synced_at",
        "tenant",
    )
    list_filter = ("system", "sync_status", "object_type", "tenant")
    search_fields = ("=object_id", "=external_id")
    list_select_related = ("tenant",)
