"""The demo generator writes with bulk_create (no Partner.save()): its phones and tax
numbers must still pass the model's own checks."""

import pytest
from django.core.management import call_command

from kgc_erp.partners.models import Partner
from kgc_erp.partners.phone import normalize_phone
from kgc_erp.partners.tax_number import normalize_tax_number

pytestmark = pytest.mark.django_db


def test_seeded_partners_have_valid_phones_and_tax_numbers() -> None:
    call_command("seed_demo", partners=60, rentals_per_partner=0.2, verbosity=0)

    partners = list(Partner.objects.all())
    assert len(partners) == 60
    assert all(normalize_phone(p.phone) == p.phone for p in partners)
    tax_numbers = [p.tax_number for p in partners if p.tax_number]
    assert tax_numbers, "the generator makes some business partners"
    assert all(normalize_tax_number(t) == t for t in tax_numbers)
