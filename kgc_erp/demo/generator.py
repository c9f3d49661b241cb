"""Realistic demo and benchmark data: Hungarian customers, machines, rentals, repairs, orders.

Rows are written with `bulk_create` in batches (100 000 partners take seconds, not hours).
That skips model signals on purpose: seeding is not business activity, so no outbox
events are produced; plugins pick the data up with their initial sync.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import TypeVar

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from kgc_erp.numbering.sequences import (
    ORDER_PREFIX,
    RENTAL_PREFIX,
    WORKLOG_PREFIX,
    allocate_numbers,
)
from kgc_erp.partners.models import Partner
from kgc_erp.partners.phone import check_phone_characters
from kgc_erp.partners.tax_number import COUNTY_CODES, normalize_tax_number
from kgc_erp.rentals.models import Machine, Rental
from kgc_erp.rentals.services import rental_days
from kgc_erp.sales.models import Order, OrderLine, Product, StockLevel
from kgc_erp.service.models import Worklog
from kgc_erp.tenants.models import HEADQUARTERS_SLUG, Tenant

FAMILY_NAMES = (
    "Nagy",
    "Kovács",
    "Tóth",
    "Szabó",
    "Horváth",
    "Varga",
    "Kiss",
    "Molnár",
    "Németh",
    "Farkas",
    "Balogh",
    "Papp",
    "Takács",
    "Juhász",
    "Lakatos",
    "Mészáros",
    "Oláh",
    "Simon",
    "Rácz",
    "Fekete",
    "Szilágyi",
    "Török",
    "Fehér",
    "Balázs",
    "Gál",
    "Kis",
    "Szűcs",
    "Kocsis",
    "Orsós",
    "Pintér",
    "Fodor",
    "Szalai",
    "Sipos",
    "Magyar",
    "Lukács",
    "Gulyás",
    "Bíró",
)
GIVEN_NAMES = (
    "László",
    "István",
    "József",
    "János",
    "Zoltán",
    "Sándor",
    "Gábor",
    "Ferenc",
    "Attila",
    "Péter",
    "Tamás",
    "Zsolt",
    "Tibor",
    "András",
    "Csaba",
    "Imre",
    "Lajos",
    "György",
    "Balázs",
    "Mária",
    "Erzsébet",
    "Katalin",
    "Éva",
    "Ilona",
    "Anna",
    "Zsuzsanna",
    "Margit",
    "Judit",
    "Ágnes",
    "Andrea",
    "Erika",
    "Krisztina",
    "Edit",
    "Gabriella",
    "Szilvia",
    "Anita",
    "Réka",
)
COMPANY_FORMS = ("Kft.", "Bt.", "Zrt.", "Kkt.")
COMPANY_TRADES = (
    "Építő",
    "Kertépítő",
    "Tetőfedő",
    "Burkoló",
    "Villanyszerelő",
    "Ács",
    "Festő",
    "Generál",
)
MACHINE_CATALOGUE = (
    # (name, type, daily rate HUF)
    ("Makita talajvágó", "talajvágó", 9500),
    ("Stihl láncfűrész MS 261", "láncfűrész", 7500),
    ("Bosch ütvefúró GSB 18V", "fúrógép", 3500),
    ("Hilti bontókalapács TE 1000", "bontókalapács", 12000),
    ("Husqvarna fűnyíró LC 353", "fűnyíró", 6000),
    ("Wacker Neuson lapvibrátor", "lapvibrátor", 11000),
    ("Kärcher magasnyomású mosó K7", "magasnyomású mosó", 5500),
    ("Makita sarokcsiszoló 230 mm", "sarokcsiszoló", 3000),
    ("Honda áramfejlesztő EU22i", "áramfejlesztő", 9000),
    ("Bosch betonkeverő 140 l", "betonkeverő", 5000),
)
PRODUCT_CATALOGUE = (
    ("BOS-2608", "Bosch fúrószár készlet 7 részes", 4990),
    ("MAK-D42", "Makita gyémánt vágótárcsa 230 mm", 8490),
    ("STI-OIL1", "Stihl kétütemű motorolaj 1 l", 3290),
    ("STI-CH325", 'Stihl lánc 3/8" 50 szem', 9990),
    ("HUS-KNIFE", "Husqvarna fűnyírókés 53 cm", 7490),
    ("KAR-DET", "Kärcher tisztítószer 5 l", 6990),
    ("MAK-BL18", "Makita akkumulátor 18V 5,0Ah", 34990),
    ("WAC-PLATE", "Wacker gumilap lapvibrátorhoz", 19990),
)
STORES = (
    # (slug, name, stock location)
    (HEADQUARTERS_SLUG, "KGC Központ", "Budapest"),
    ("gyor", "KGC Győr", "Győr"),
    ("debrecen", "KGC Debrecen", "Debrecen"),
)
ISSUES = (
    "Nem indul, berántáskor köhög.",
    "Erősen füstöl és leáll terhelés alatt.",
    "A lánc nem kap olajat.",
    "Akkumulátor nem töltődik.",
    "Szikrázik a szénkefe, melegszik a ház.",
    "Olajfolyás a motor alján.",
)
MOBILE_PREFIXES = ("20", "30", "31", "50", "70")
BATCH = 5000


@dataclass
class SeedReport:
    partners: int = 0
    machines: int = 0
    rentals: int = 0
    worklogs: int = 0
    orders: int = 0
    details: dict[str, int] = field(default_factory=dict)


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def ensure_stores() -> list[Tenant]:
    tenants = []
    for slug, name, _location in STORES:
        kind = Tenant.Kind.HEADQUARTERS if slug == HEADQUARTERS_SLUG else Tenant.Kind.FRANCHISE
        tenant, _ = Tenant.objects.get_or_create(
            slug=slug, defaults={"name": name, "kind": kind, "modules_enabled": ["support", "crm"]}
        )
        tenants.append(tenant)
    return tenants


def _partner_rows(
    count: int, start: int, tenants: list[Tenant], rng: random.Random
) -> Iterator[Partner]:
    for index in range(start, start + count):
        is_business = rng.random() < 0.18
        family, given = rng.choice(FAMILY_NAMES), rng.choice(GIVEN_NAMES)
        name = f"{family} {given}"
        company = ""
        if is_business:
            company = f"{family} {rng.choice(COMPANY_TRADES)} {rng.choice(COMPANY_FORMS)}"
        # Unique, valid Hungarian mobile numbers: the index is the subscriber number.
        prefix = MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]
        phone = f"+36{prefix}{1000000 + index // len(MOBILE_PREFIXES):07d}"
        # bulk_create skips Partner.save(): the same checks the model makes, done here.
        check_phone_characters(phone)
        email = f"{ascii_fold(given)}.{ascii_fold(family)}.{index}@example.hu"
        yield Partner(
            tenant=tenants[index % len(tenants)] if rng.random() < 0.4 else tenants[0],
            name=name,
            phone=phone,
            email=email,
            company=company,
            is_business=is_business,
            tax_number=_tax_number(rng) if is_business else "",
            payment_status=rng.choices(
                [
                    Partner.PaymentStatus.GOOD,
                    Partner.PaymentStatus.LATE,
                    Partner.PaymentStatus.BLOCKED,
                ],
                weights=[92, 6, 2],
            )[0],
            marketing_consent=rng.random() < 0.55,
        )


def _tax_number(rng: random.Random) -> str:
    """A valid Hungarian tax number: check digit, VAT code and county code all correct."""
    digits = [rng.randint(0, 9) for _ in range(7)]
    weighted = sum(w * d for w, d in zip((9, 7, 3, 1, 9, 7, 3), digits, strict=True))
    check = (10 - weighted % 10) % 10
    vat_code = rng.choice("2222213")
    county = rng.choice(sorted(COUNTY_CODES))
    return normalize_tax_number(f"{''.join(map(str, digits))}{check}{vat_code}{county}")


_ModelT = TypeVar("_ModelT", bound=Model)
_NumberedT = TypeVar("_NumberedT", Rental, Worklog)


def _bulk(model: type[_ModelT], rows: Iterator[_ModelT]) -> int:
    total = 0
    while chunk := list(islice(rows, BATCH)):
        model._default_manager.bulk_create(chunk)  # `objects`: no custom managers here
        total += len(chunk)
    return total


def seed_machines(tenants: list[Tenant], per_tenant: int, rng: random.Random) -> list[Machine]:
    machines = []
    existing = Machine.objects.count()
    for t_index, tenant in enumerate(tenants):
        for index in range(per_tenant):
            name, kind, rate = MACHINE_CATALOGUE[index % len(MACHINE_CATALOGUE)]
            serial_number = existing + t_index * per_tenant + index
            machines.append(
                Machine(
                    tenant=tenant,
                    name=name,
                    type=kind,
                    serial=f"KGC-{tenant.slug[:3].upper()}-{serial_number:06d}",
                    daily_rate=Decimal(rate),
                )
            )
    return Machine.objects.bulk_create(machines)


def seed_products(tenants: list[Tenant], rng: random.Random) -> list[Product]:
    products = [
        Product.objects.get_or_create(sku=sku, defaults={"name": name, "price": Decimal(price)})[0]
        for sku, name, price in PRODUCT_CATALOGUE
    ]
    locations = {slug: location for slug, _, location in STORES}
    for tenant in tenants:
        for product in products:
            StockLevel.objects.get_or_create(
                tenant=tenant,
                product=product,
                location=locations.get(tenant.slug, tenant.name),
                defaults={"quantity": rng.randint(0, 25)},
            )
    return products


def _rental_rows(
    partners: list[tuple[int, int]],
    machines_by_tenant: dict[int, list[Machine]],
    per_partner: float,
    rng: random.Random,
    today: date,
) -> Iterator[Rental]:
    """Mostly completed history, some active and a few late rentals."""
    busy: set[int] = set()
    for partner_id, tenant_id in partners:
        count = int(per_partner) + (1 if rng.random() < per_partner % 1 else 0)
        for _ in range(count):
            machine = rng.choice(machines_by_tenant[tenant_id])
            start = today - timedelta(days=rng.randint(0, 360))
            end = start + timedelta(days=rng.randint(1, 14))
            roll = rng.random()
            open_allowed = machine.pk not in busy and end >= today - timedelta(days=10)
            if roll < 0.05 and open_allowed:
                busy.add(machine.pk)
                status = Rental.Status.LATE if end < today else Rental.Status.ACTIVE
                yield Rental(
                    tenant_id=tenant_id,
                    partner_id=partner_id,
                    machine=machine,
                    start_date=start,
                    end_date=end,
                    status=status,
                )
                continue
            returned = end + timedelta(days=rng.choice((0, 0, 0, 1, 2)))
            returned_at = timezone.make_aware(datetime.combine(returned, datetime.min.time()))
            yield Rental(
                tenant_id=tenant_id,
                partner_id=partner_id,
                machine=machine,
                start_date=start,
                end_date=end,
                status=Rental.Status.COMPLETED,
                returned_at=returned_at.replace(hour=rng.randint(8, 17)),
                total_cost=machine.daily_rate * rental_days(start, returned),
            )


def _numbered(rows: Iterator[_NumberedT], prefix: str, year: int) -> Iterator[_NumberedT]:
    """Attach gap-free numbers to rows in chunks, straight from the sequence table."""
    while chunk := list(islice(rows, BATCH)):
        for row, number in zip(chunk, allocate_numbers(prefix, year, len(chunk)), strict=True):
            row.number = number
            yield row


@transaction.atomic
def seed(
    partners: int,
    rentals_per_partner: float = 1.5,
    worklog_ratio: float = 0.3,
    order_ratio: float = 0.2,
    seed_value: int = 2026,
) -> SeedReport:
    rng = random.Random(seed_value)
    today = timezone.localdate()
    report = SeedReport()
    tenants = ensure_stores()
    start = Partner.objects.count()
    report.partners = _bulk(Partner, _partner_rows(partners, start, tenants, rng))
    new_partners = list(
        Partner.objects.order_by("-id").values_list("id", "tenant_id")[: report.partners]
    )
    machines_per_tenant = max(10, min(400, partners // 50))
    machines = seed_machines(tenants, machines_per_tenant, rng)
    report.machines = len(machines)
    machines_by_tenant: dict[int, list[Machine]] = {}
    for machine in machines:
        machines_by_tenant.setdefault(machine.tenant_id, []).append(machine)
    products = seed_products(tenants, rng)

    rentals = _rental_rows(new_partners, machines_by_tenant, rentals_per_partner, rng, today)
    report.rentals = _bulk(Rental, _numbered(rentals, RENTAL_PREFIX, today.year))

    worklog_partners = [p for p in new_partners if rng.random() < worklog_ratio]
    report.worklogs = _bulk(
        Worklog, _numbered(_worklog_rows(worklog_partners, rng, today), WORKLOG_PREFIX, today.year)
    )
    order_partners = [p for p in new_partners if rng.random() < order_ratio]
    report.orders = _seed_orders(order_partners, products, rng, today)
    return report


def _worklog_rows(
    partners: list[tuple[int, int]], rng: random.Random, today: date
) -> Iterator[Worklog]:
    statuses = list(Worklog.Status)
    for partner_id, tenant_id in partners:
        status = rng.choice(statuses)
        quote = Decimal(rng.randrange(5000, 80000, 500))
        done = status in (Worklog.Status.DONE, Worklog.Status.HANDED_OVER)
        yield Worklog(
            tenant_id=tenant_id,
            partner_id=partner_id,
            machine_type=rng.choice(MACHINE_CATALOGUE)[0],
            issue_description=rng.choice(ISSUES),
            status=status,
            quote_amount=quote
            if status not in (Worklog.Status.RECEIVED, Worklog.Status.DIAGNOSIS)
            else None,
            quote_accepted=True
            if status in (Worklog.Status.REPAIR, Worklog.Status.DONE, Worklog.Status.HANDED_OVER)
            else None,
            repair_cost=quote if done else None,
            estimated_completion=today + timedelta(days=rng.randint(1, 10)),
            completed_at=timezone.now() - timedelta(days=rng.randint(0, 60)) if done else None,
        )


def _seed_orders(
    partners: list[tuple[int, int]], products: list[Product], rng: random.Random, today: date
) -> int:
    rows = []
    for partner_id, tenant_id in partners:
        status = rng.choice(list(Order.Status))
        order_date = today - timedelta(days=rng.randint(0, 120))
        rows.append(
            Order(
                tenant_id=tenant_id,
                partner_id=partner_id,
                status=status,
                order_date=order_date,
                estimated_arrival=order_date + timedelta(days=rng.randint(3, 14)),
                arrived_at=timezone.now()
                if status in (Order.Status.ARRIVED, Order.Status.DELIVERED)
                else None,
                delivered_at=timezone.now() if status == Order.Status.DELIVERED else None,
            )
        )
    orders: list[Order] = []
    for chunk_start in range(0, len(rows), BATCH):
        chunk = rows[chunk_start : chunk_start + BATCH]
        for row, number in zip(
            chunk, allocate_numbers(ORDER_PREFIX, today.year, len(chunk)), strict=True
        ):
            row.number = number
        orders.extend(Order.objects.bulk_create(chunk))
    lines = []
    for order in orders:
        total = Decimal(0)
        for product in rng.sample(products, rng.randint(1, 3)):
            quantity = rng.randint(1, 4)
            lines.append(
                OrderLine(order=order, product=product, quantity=quantity, unit_price=product.price)
            )
            total += product.price * quantity
        order.total_amount = total
    OrderLine.objects.bulk_create(lines, batch_size=BATCH)
    Order.objects.bulk_update(orders, ["total_amount"], batch_size=BATCH)
    return len(orders)
