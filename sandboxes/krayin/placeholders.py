"""Display values for webhook placeholders, as AbstractEntity::replacePlaceholders renders
each attribute type: price via formatBasePrice ("$15,000.00"), lookups as the related
record's name, dates as "D M d, Y" in the app timezone, email/phone as "value (label)"."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sandboxes.krayin.models import LabeledValue, Lead, NamedSetting, Person
from sandboxes.krayin.state import Tables

NOT_AVAILABLE = "Not Available"


def base_price(value: Decimal | None) -> str:
    return f"${(value or Decimal(0)):,.2f}"


def _date(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%a %b %d, %Y") if value else "N/A"


def _name(row: NamedSetting | None) -> str:
    return row.name if row else NOT_AVAILABLE


def _labeled(values: list[LabeledValue]) -> str:
    return ", ".join(f"{v['value']} ({v['label']})" for v in values)


def lead_placeholders(db: Tables, lead: Lead, tz: ZoneInfo) -> dict[str, str]:
    """The lead entity's attribute codes only: `id`, `person_id`, `status` are not among them."""
    user = db.users.get(lead.user_id) if lead.user_id else None
    pipeline = db.pipelines.get(lead.lead_pipeline_id)
    stage = db.stages.get(lead.lead_pipeline_stage_id)
    return {
        "title": lead.title,
        "description": lead.description or "",
        "lead_value": base_price(lead.lead_value),
        "lead_source_id": _name(db.sources.get(lead.lead_source_id)),
        "lead_type_id": _name(db.types.get(lead.lead_type_id)),
        "user_id": user.name if user else NOT_AVAILABLE,
        "expected_close_date": _date(lead.expected_close_date, tz),
        "lead_pipeline_id": pipeline.name if pipeline else NOT_AVAILABLE,
        "lead_pipeline_stage_id": stage.name if stage else NOT_AVAILABLE,
    }


def person_placeholders(db: Tables, person: Person) -> dict[str, str]:
    user = db.users.get(person.user_id) if person.user_id else None
    org = db.organizations.get(person.organization_id) if person.organization_id else None
    return {
        "name": person.name,
        "emails": _labeled(person.emails),
        "contact_numbers": _labeled(person.contact_numbers),
        "job_title": person.job_title or "",
        "user_id": user.name if user else NOT_AVAILABLE,
        "organization_id": org.name if org else NOT_AVAILABLE,
    }
