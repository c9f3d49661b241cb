"""factory_boy factories for the core domain (real rows in the real test database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Machine, Rental
from kgc_erp.sales.models import Order, Product
from kgc_erp.service.models import Worklog
from kgc_erp.tenants.models import HEADQUARTERS_SLUG, Tenant


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Franchise {n}")
    slug = factory.Sequence(lambda n: f"franchise-{n}")
    kind = Tenant.Kind.FRANCHISE


def headquarters() -> Tenant:
    return Tenant.objects.get(slug=HEADQUARTERS_SLUG)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    tenant = factory.LazyFunction(headquarters)
    name = factory.Sequence(lambda n: f"Kovács János {n}")
    # Valid Hungarian mobile numbers: +36 30 1xx xxxx.
    phone = factory.Sequence(lambda n: f"+3630{1000000 + n:07d}")
    email = factory.Sequence(lambda n: f"partner{n}@example.hu")


class MachineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Machine

    tenant = factory.LazyFunction(headquarters)
    name = "Makita talajvágó"
    type = "talajvágó"
    serial = factory.Sequence(lambda n: f"MK-{n:06d}")
    daily_rate = Decimal("8000")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Bosch fúrószár {n}")
    price = Decimal("2490")


def start_rental(partner: Partner | None = None, days: int = 3, **kwargs: object) -> Rental:
    from kgc_erp.rentals.services import start_rental as start

    partner = partner or PartnerFactory()
    start_date = kwargs.pop("start_date", timezone.localdate())
    rental = Rental(
        partner=partner,
        machine=kwargs.pop("machine", None) or MachineFactory(tenant=partner.tenant),
        start_date=start_date,
        end_date=kwargs.pop("end_date", start_date + dt.timedelta(days=days)),
    )
    return start(rental)


def open_worklog(partner: Partner | None = None, **kwargs: object) -> Worklog:
    from kgc_erp.service.services import open_worklog as open_

    worklog = Worklog(
        partner=partner or PartnerFactory(),
        machine_type=kwargs.pop("machine_type", "Stihl láncfűrész"),
        issue_description=kwargs.pop("issue_description", "Nem indul."),
        **kwargs,
    )
    return open_(worklog)


def place_order(partner: Partner | None = None, quantity: int = 2) -> Order:
    from kgc_erp.sales.services import place_order as place

    return place(Order(partner=partner or PartnerFactory()), [(ProductFactory(), quantity)])
