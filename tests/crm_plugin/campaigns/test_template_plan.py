"""The flattened templates (`template_plan.py`) give exactly what Django's rendering of the
same template gives: every campaign template, with escaping, localised numbers, dates,
empty and missing values, marketing and transactional e-mails; extends chains, blocks,
includes and `{% if %}` branches; and no plan (Django renders) for what they do not
reproduce."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.template import Context, Engine
from django.template.loader import get_template

from apps.crm_plugin.campaigns.models import Campaign, CampaignKind
from apps.crm_plugin.campaigns.template_plan import TemplatePlan
from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Machine

TEMPLATES = [f"campaigns/{kind}/{name}" for kind in CampaignKind.values
             for name in ("subject.txt", "body.html", "body.txt")]


def _contexts() -> list[dict[str, Any]]:
    machines = [Machine(name="Hilti <TE 30> & társa", daily_rate=Decimal("12500.50")),
                Machine(name="Stihl \"MS 170\"", daily_rate=8000)]
    contexts = []
    for name, discount, url, cost in (
            ("Árvíztűrő Tükörfúrógép Éva", 10, "https://erp.kgc.example/u/a:b/", Decimal(18000)),
            ("Kovács & Fia <Kft.> 'x'", 0, "", None),
            ("", 15, "https://erp.kgc.example/u/?x=1&y=2", Decimal("1234567.89"))):
        partner = Partner(name=name, email="a@example.hu")
        campaign = Campaign(kind=CampaignKind.WIN_BACK, name="Kampány", discount_percent=discount)
        contexts.append({
            "partner": partner, "campaign": campaign, "discount": discount,
            "unsubscribe_url": url, "subject": f"{name} <tárgy> & más",
            "last_rental_date": "2026-01-15", "end_date": date(2026, 12, 7),
            "number": "B-2026-00042", "machine": "Makita HR2470 fúrókalapács",
            "daily_rate": Decimal(9000), "repair_cost": cost, "category": "fúrógép",
            "rental_count": 1234, "closed_count": 10, "machines": machines,
        })
    contexts.append({})  # nothing at all: string_if_invalid and empty filters
    return contexts


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_campaign_template_renders_as_django_does(name: str) -> None:
    template = get_template(name)
    plan = TemplatePlan.of(template)
    if "new_machines/body" in name:
        assert plan is None  # {% for %}: rendered by Django
        return
    assert plan is not None
    for context in _contexts():
        assert plan.render(dict(context)) == template.render(dict(context))


def _engine(templates: dict[str, str], **options: Any) -> Engine:
    return Engine(loaders=[("django.template.loaders.locmem.Loader", templates)],
                  libraries={"campaign_format":
                             "apps.crm_plugin.campaigns.templatetags.campaign_format"},
                  **options)


SYNTHETIC = {
    "root.html": "<h1>{{ title }}</h1>{% block a %}A{{ x }}{% endblock %}|"
                 "{% block b %}B{% block inner %}I{% endblock %}{% endblock %}"
                 "{% include 'inc.txt' %}",
    "middle.html": "ignored{% extends 'root.html' %}ignored too{% block a %}M{{ y|upper }}"
                   "{% endblock %}",
    "leaf.html": "{% extends 'middle.html' %}{% load campaign_format %}"
                 "{% block inner %}L{{ d|hudate }}{% if x > 2 %}big{% elif not y %}no y"
                 "{% else %}other{% endif %}{% endblock %}{% block a %}leaf {{ x }}{% endblock %}",
    "inc.txt": "({% if title and x %}{{ title }}-{{ x }}{% endif %}{# comment #}"
               "{% comment %}gone{% endcomment %})",
    "text-before.html": "head text {% extends 'root.html' %}",
    "super.html": "{% extends 'root.html' %}{% block a %}{{ block.super }}!{% endblock %}",
    "loop.html": "{% for i in items %}{{ i }}{% endfor %}",
    "only.html": "{% include 'inc.txt' only %}",
    "with.html": "{% include 'inc.txt' with x=5 %}",
    "dynamic.html": "{% extends parent %}",
    "now.html": "{% now 'Y' %}",
}


@pytest.mark.parametrize("autoescape", [True, False])
def test_extends_blocks_includes_and_branches(autoescape: bool) -> None:
    engine = _engine(SYNTHETIC, autoescape=autoescape)
    contexts: list[dict[str, Any]] = [{"title": "<b>&</b>", "x": 3, "y": "ő", "d": "2026-03-04"},
                {"title": "", "x": 1, "y": "", "d": date(2027, 1, 2)},
                {"x": 2, "y": None}, {}]
    for name in ("root.html", "middle.html", "leaf.html", "inc.txt", "text-before.html"):
        template = engine.get_template(name)
        plan = TemplatePlan.of(SimpleNamespace(template=template))
        assert plan is not None, name
        for context in contexts:
            expected = template.render(Context(dict(context), autoescape=autoescape))
            assert plan.render(dict(context)) == expected, (name, context)


@pytest.mark.parametrize("name", ["super.html", "loop.html", "only.html", "with.html",
                                  "dynamic.html", "now.html"])
def test_no_plan_for_what_it_does_not_reproduce(name: str) -> None:
    engine = _engine(SYNTHETIC)
    assert TemplatePlan.of(SimpleNamespace(template=engine.get_template(name))) is None


def test_batch_renderer_gives_what_render_email_gives() -> None:
    from unittest import mock

    from apps.crm_plugin.campaigns.rendering import BatchRenderer, RowCache, render_email

    partner = Partner(pk=77, name="Kovács & <Fia>", email="kovacs@example.hu")
    campaign = Campaign(kind=CampaignKind.WIN_BACK, name="Visszacsábító", discount_percent=12)
    data = {"last_rental_date": "2026-01-15"}
    with mock.patch("time.time", return_value=1_796_000_000.0):
        assert BatchRenderer(RowCache()).render(campaign, partner, data) == render_email(
            campaign, partner, data)
