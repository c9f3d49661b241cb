"""Hungarian admin: campaigns (with their last runs, a preview with a real partner and a
"send test to me" button), runs, and the log of every e-mail as the customer saw it."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from kgc_erp.partners.models import Partner

from .errors import EmailError
from .models import Campaign, CampaignRun, CampaignSend
from .rendering import render_email, sample_context
from .sending import build_message, send_message


class CampaignRunInline(admin.TabularInline):
    model = CampaignRun
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ("-started_at",)
    fields = ("occasion_date", "started_at", "selected", "queued", "sent", "failed",
              "skipped_no_consent", "skipped_no_email", "skipped_already_sent")
    readonly_fields = fields
    verbose_name_plural = "utolsó futtatások"

    def get_queryset(self, request: HttpRequest) -> QuerySet[CampaignRun]:
        return super().get_queryset(request).annotate(
            n_sent=Count("sends", filter=Q(sends__status=CampaignSend.Status.SENT)),
            n_failed=Count("sends", filter=Q(sends__status=CampaignSend.Status.FAILED)),
        )

    @admin.display(description="elküldve")
    def sent(self, obj: CampaignRun) -> int:
        return int(getattr(obj, "n_sent", 0))

    @admin.display(description="sikertelen")
    def failed(self, obj: CampaignRun) -> int:
        return int(getattr(obj, "n_failed", 0))


def _partner_for(request: HttpRequest, campaign: Campaign) -> Partner | None:
    partner_id = request.GET.get("partner") or request.POST.get("partner")
    if partner_id and partner_id.isdigit():
        return Partner.objects.filter(pk=int(partner_id)).first()
    return Partner.objects.filter(is_active=True, rentals__isnull=False).first()


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "is_active", "discount_percent", "last_run", "tools")
    list_editable = ("is_active",)
    readonly_fields = ("kind", "state", "updated_at")
    filter_horizontal = ("disabled_tenants",)
    inlines = (CampaignRunInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one row per kind, created by the migration

    @admin.display(description="utolsó futtatás")
    def last_run(self, obj: Campaign) -> str:
        run = obj.runs.order_by("-started_at").first()
        if run is None:
            return "–"
        return (f"{run.occasion_date}: {run.selected} kiválasztva, {run.queued} új, "
                f"{run.skipped_no_consent + run.skipped_no_email + run.skipped_already_sent}"
                " kihagyva")

    @admin.display(description="")
    def tools(self, obj: Campaign) -> str:
        return format_html(
            '<a href="{}">Előnézet</a>',
            reverse("admin:crm_campaigns_campaign_preview", args=[obj.pk]),
        )

    def get_urls(self) -> list[URLPattern]:
        own = [
            path("<int:pk>/preview/", self.admin_site.admin_view(self.preview_view),
                 name="crm_campaigns_campaign_preview"),
            path("<int:pk>/preview/html/", self.admin_site.admin_view(self.preview_html),
                 name="crm_campaigns_campaign_preview_html"),
            path("<int:pk>/send-test/", self.admin_site.admin_view(self.send_test_view),
                 name="crm_campaigns_campaign_send_test"),
        ]
        return own + super().get_urls()

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = get_object_or_404(Campaign, pk=pk)
        partner = _partner_for(request, campaign)
        rendered = (render_email(campaign, partner, sample_context(campaign, partner))
                    if partner else None)
        return TemplateResponse(request, "campaigns/admin/preview.html", {
            **self.admin_site.each_context(request), "title": f"Előnézet: {campaign}",
            "campaign": campaign, "partner": partner, "rendered": rendered, "opts": self.opts,
        })

    def preview_html(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = get_object_or_404(Campaign, pk=pk)
        partner = _partner_for(request, campaign)
        if partner is None:
            return HttpResponse("Nincs partner az előnézethez.", content_type="text/plain")
        rendered = render_email(campaign, partner, sample_context(campaign, partner))
        return HttpResponse(rendered.html)

    def send_test_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The same rendering and sending path, to the staff user's own address."""
        campaign = get_object_or_404(Campaign, pk=pk)
        back = reverse("admin:crm_campaigns_campaign_preview", args=[pk])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        email = getattr(request.user, "email", "")
        partner = _partner_for(request, campaign)
        if not email or partner is None:
            messages.error(request, "A teszt e-mailhez a felhasználónak e-mail cím, "
                                    "az előnézethez egy partner kell.")
            return HttpResponseRedirect(back)
        rendered = render_email(campaign, partner, sample_context(campaign, partner))
        try:
            send_message(build_message(rendered, email))
        except EmailError as exc:
            messages.error(request, f"A teszt e-mail nem ment el: {exc}")
        else:
            messages.success(request, f"Teszt e-mail elküldve ide: {email}")
        return HttpResponseRedirect(f"{back}?partner={partner.pk}")


@admin.register(CampaignRun)
class CampaignRunAdmin(admin.ModelAdmin):
    list_display = ("campaign", "occasion_date", "started_at", "selected", "queued",
                    "skipped_no_consent", "skipped_no_email", "skipped_already_sent")
    list_filter = ("campaign",)
    readonly_fields = tuple(f.name for f in CampaignRun._meta.fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CampaignSend)
class CampaignSendAdmin(admin.ModelAdmin):
    list_display = ("created_at", "campaign", "partner", "to_email", "subject", "status",
                    "sent_at")
    list_filter = ("campaign", "status")
    # Filter by partner: search by name or id, or ?partner__id__exact=<id>.
    search_fields = ("partner__name", "=partner__id", "to_email", "message_id")
    list_select_related = ("campaign", "partner")
    raw_id_fields = ("partner", "run")
    readonly_fields = ("campaign", "tenant", "partner", "run", "occasion_key", "context",
                       "status", "to_email", "subject", "rendered_html", "body_text",
                       "message_id", "error", "created_at", "sent_at")
    exclude = ("body_html",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None
                       ) -> bool:
        return lookup in ("partner__id__exact", "partner__id") or super().lookup_allowed(
            lookup, value, request)

    @admin.display(description="ahogy az ügyfél látta")
    def rendered_html(self, obj: CampaignSend) -> str:
        # Sandboxed iframe: the stored HTML is shown, never run in the admin's origin.
        return format_html('<iframe sandbox srcdoc="{}" style="width:100%;height:480px;'
                           'border:1px solid #ccc;background:#fff"></iframe>', obj.body_html)
