"""Subject, HTML and plain text of one campaign e-mail (Django templates, Hungarian).

The template context is built from the current rows (state transfer: a rental extended
since the selection shows its new date), from the ids the CampaignSend carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.template.loader import get_template, render_to_string

from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Machine, Rental
from kgc_erp.service.models import Worklog

from .models import Campaign, CampaignKind
from .template_plan import TemplatePlan
from .unsubscribe import unsubscribe_links

TEMPLATE_DIR = "campaigns"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str
    unsubscribe_url: str  # the page linked in the text; empty for transactional e-mails
    one_click_url: str  # List-Unsubscribe (RFC 8058); empty for transactional e-mails


def _ids(value: object) -> list[int]:
    return [int(str(item)) for item in value] if isinstance(value, list | tuple) else []


@dataclass
class RowCache:
    """The rentals, worklogs and machines the templates name, loaded once for a batch
    (one query per kind) instead of once per e-mail. Rows a batch did not prefetch (and
    previews, which prefetch nothing) are read one by one."""

    rentals: dict[int, Rental] = field(default_factory=dict)
    worklogs: dict[int, Worklog] = field(default_factory=dict)
    machines: dict[int, Machine] = field(default_factory=dict)

    @classmethod
    def for_contexts(cls, contexts: Iterable[Mapping[str, object]]) -> RowCache:
        rental_ids: set[int] = set()
        worklog_ids: set[int] = set()
        machine_ids: set[int] = set()
        for data in contexts:
            if "rental_id" in data:
                rental_ids.add(int(str(data["rental_id"])))
            if "worklog_id" in data:
                worklog_ids.add(int(str(data["worklog_id"])))
            machine_ids.update(_ids(data.get("machine_ids")))
        cache = cls()
        if rental_ids:
            cache.rentals = Rental.objects.select_related("machine").in_bulk(rental_ids)
        if worklog_ids:
            cache.worklogs = Worklog.objects.in_bulk(worklog_ids)
        if machine_ids:
            cache.machines = Machine.objects.in_bulk(machine_ids)
        return cache

    def rental(self, pk: int) -> Rental:
        if pk not in self.rentals:
            self.rentals[pk] = Rental.objects.select_related("machine").get(pk=pk)
        return self.rentals[pk]

    def worklog(self, pk: int) -> Worklog:
        if pk not in self.worklogs:
            self.worklogs[pk] = Worklog.objects.get(pk=pk)
        return self.worklogs[pk]

    def machine_list(self, ids: list[int]) -> list[Machine]:
        missing = [pk for pk in ids if pk not in self.machines]
        if missing:
            self.machines.update(Machine.objects.in_bulk(missing))
        return sorted((self.machines[pk] for pk in ids if pk in self.machines),
                      key=lambda machine: machine.name)


def _rental_context(rental: Rental) -> dict[str, object]:
    return {"rental": rental, "number": rental.number, "machine": rental.machine.name,
            "end_date": rental.end_date, "daily_rate": rental.machine.daily_rate}


def _worklog_context(worklog: Worklog) -> dict[str, object]:
    cost: Decimal | None = worklog.repair_cost
    if cost is None and worklog.quote_accepted:
        cost = worklog.quote_amount
    return {"worklog": worklog, "number": worklog.number, "machine": worklog.machine_type,
            "repair_cost": cost}


def template_context(campaign: Campaign, partner: Partner, data: Mapping[str, object],
                     rows: RowCache | None = None) -> dict[str, object]:
    """What the templates may name; `data` is the CampaignSend's `context`."""
    rows = rows or RowCache()
    context: dict[str, object] = {"partner": partner, "campaign": campaign,
                                  "discount": campaign.discount_percent, **data}
    if "rental_id" in data:
        context.update(_rental_context(rows.rental(int(str(data["rental_id"])))))
    if "worklog_id" in data:
        context.update(_worklog_context(rows.worklog(int(str(data["worklog_id"])))))
    if "machine_ids" in data:
        context["machines"] = rows.machine_list(_ids(data["machine_ids"]))
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


class _Template:
    """A campaign template: its flattened plan (`template_plan.py`), else Django's render."""

    def __init__(self, name: str) -> None:
        self.template = get_template(name)
        self.plan = TemplatePlan.of(self.template)

    def render(self, context: dict[str, object]) -> str:
        if self.plan is not None:
            return self.plan.render(context)
        return str(self.template.render(context))


class BatchRenderer:
    """Renders the e-mails of one batch: each campaign's three templates are looked up
    and flattened once, the rows they name are prefetched (`RowCache`)."""

    def __init__(self, rows: RowCache) -> None:
        self.rows = rows
        self._templates: dict[str, tuple[_Template, _Template, _Template]] = {}

    def _templates_of(self, kind: str) -> tuple[_Template, _Template, _Template]:
        if kind not in self._templates:
            # Once per batch (a fraction of a millisecond), so an edited template takes
            # effect as Django's template loader sees it.
            base = f"{TEMPLATE_DIR}/{kind}"
            self._templates[kind] = (_Template(f"{base}/subject.txt"),
                                     _Template(f"{base}/body.html"),
                                     _Template(f"{base}/body.txt"))
        return self._templates[kind]

    def render(self, campaign: Campaign, partner: Partner,
               data: Mapping[str, object]) -> RenderedEmail:
        """The same result as `render_email` (tests/crm_plugin/campaigns compare them)."""
        subject_t, html_t, text_t = self._templates_of(campaign.kind)
        links = unsubscribe_links(partner.pk, campaign.kind) if campaign.is_marketing else None
        url = links.page if links else ""
        context = {**template_context(campaign, partner, data, self.rows),
                   "unsubscribe_url": url}
        subject = " ".join(subject_t.render(context).split())
        context["subject"] = subject
        return RenderedEmail(
            subject=subject,
            html=html_t.render(context).strip(),
            text=text_t.render(context).strip() + "\n",
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


__all__ = ("BatchRenderer", "RenderedEmail", "RowCache", "render_email", "sample_context",
           "template_context")
