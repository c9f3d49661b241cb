"""Subject, HTML and plain text of one campaign e-mail (Django templates, Hungarian).

The template context is built from the current rows (state transfer: a rental extended
since the selection shows its new date), from the ids the CampaignSend carries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.template.loader import render_to_string

from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Machine, Rental
from kgc_erp.service.models import Worklog

from .models import Campaign, CampaignKind
from .unsubscribe import unsubscribe_links

TEMPLATE_DIR = "campaigns"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str
    unsubscribe_url: str  # the page linked in the text; empty for transactional e-mails
    one_click_url: str  # List-Unsubscribe (RFC 8058); empty for transactional e-mails


def _rental_context(rental_id: object) -> dict[str, object]:
    rental = Rental.objects.select_related("machine").get(pk=int(str(rental_id)))
    return {"rental": rental, "number": rental.number, "machine": rental.machine.name,
            "end_date": rental.end_date, "daily_rate": rental.machine.daily_rate}


def _worklog_context(worklog_id: object) -> dict[str, object]:
    worklog = Worklog.objects.get(pk=int(str(worklog_id)))
    cost: Decimal | None = worklog.repair_cost
    if cost is None and worklog.quote_accepted:
        cost = worklog.quote_amount
    return {"worklog": worklog, "number": worklog.number, "machine": worklog.machine_type,
            "repair_cost": cost}


def template_context(campaign: Campaign, partner: Partner,
                     data: Mapping[str, object]) -> dict[str, object]:
    """What the templates may name; `data` is the CampaignSend's `context`."""
    context: dict[str, object] = {"partner": partner, "campaign": campaign,
                                  "discount": campaign.discount_percent, **data}
    if "rental_id" in data:
        context.update(_rental_context(data["rental_id"]))
    if "worklog_id" in data:
        context.update(_worklog_context(data["worklog_id"]))
    if "machine_ids" in data:
        ids = list(data["machine_ids"])  # type: ignore[call-overload]
        context["machines"] = list(Machine.objects.filter(pk__in=ids).order_by("name"))
    return context


def render_email(campaign: Campaign, partner: Partner,
                 data: Mapping[str, object]) -> RenderedEmail:
    links = unsubscribe_links(partner.pk, campaign.kind) if campaign.is_marketing else None
    url = links.page if links else ""
    context = {**template_context(campaign, partner, data), "unsubscribe_url": url}
    base = f"{TEMPLATE_DIR}/{campaign.kind}"
    # A subject is one line: template newlines and runs of spaces collapse.
    subject = " ".join(render_to_string(f"{base}/subject.txt", context).split())
    context["subject"] = subject
    return RenderedEmail(
        subject=subject,
        html=render_to_string(f"{base}/body.html", context).strip(),
        text=render_to_string(f"{base}/body.txt", context).strip() + "\n",
        unsubscribe_url=url,
        one_click_url=links.one_click if links else "",
    )


def sample_context(campaign: Campaign, partner: Partner) -> dict[str, object]:
    """Data for a preview or a test e-mail: the partner's own latest rows where they exist."""
    rental = Rental.objects.filter(partner=partner).select_related("machine").first()
    data: dict[str, object] = {}
    if campaign.kind == CampaignKind.EXPIRY_REMINDER and rental is not None:
        data["rental_id"] = rental.pk
    elif campaign.kind == CampaignKind.REPAIR_READY:
        worklog = Worklog.objects.filter(partner=partner).first()
        if worklog is not None:
            data["worklog_id"] = worklog.pk
    elif campaign.kind == CampaignKind.UPSELL:
        data.update(category=rental.machine.type if rental else "fúrógép", rental_count=4)
    elif campaign.kind == CampaignKind.WIN_BACK:
        data["last_rental_date"] = (rental.start_date.isoformat() if rental else "2026-01-15")
    elif campaign.kind == CampaignKind.NEW_MACHINES:
        category = rental.machine.type if rental else ""
        machines = Machine.objects.filter(type=category).order_by("-pk")[:3]
        data.update(category=category or "fúrógép", machine_ids=[m.pk for m in machines])
    elif campaign.kind == CampaignKind.VIP_WELCOME:
        data["closed_count"] = 10
    return data


__all__ = ("RenderedEmail", "render_email", "sample_context", "template_context")
