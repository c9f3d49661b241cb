"""Never-auto rules: accent-insensitive, Hungarian and English."""

from __future__ import annotations

import pytest

from apps.support_plugin.koko.rules import Category, Caution, check


@pytest.mark.parametrize(("text", "category"), [
    ("Ha nem adják vissza a pénzem, ügyvédhez fordulok.", Category.LEGAL_THREAT),
    ("ugyvedhez fordulok", Category.LEGAL_THREAT),
    ("Feljelentést teszek!", Category.LEGAL_THREAT),
    ("I will take legal action.", Category.LEGAL_THREAT),
    ("Megsérült a kezem a fűrésszel.", Category.INJURY_DAMAGE),
    ("megserult a kollegam", Category.INJURY_DAMAGE),
    ("Ellopták a bérelt gépet.", Category.THEFT),
    ("elloptak a gepet", Category.THEFT),
    ("Someone stole the generator.", Category.THEFT),
    ("Kérem, töröljék az adataimat.", Category.GDPR_REQUEST),
    ("toroljek az adataimat", Category.GDPR_REQUEST),
    ("Please delete my personal data.", Category.GDPR_REQUEST),
    ("Kigyulladt a gép!", Category.EMERGENCY),
    ("gazszag van", Category.EMERGENCY),
    ("Kétszer vonták le a díjat.", Category.PAYMENT_DISPUTE),
    ("I was charged twice.", Category.PAYMENT_DISPUTE),
    ("Panaszt szeretnék tenni.", Category.COMPLAINT),
    ("Szánalmas kiszolgálás!", Category.ANGER),
    ("MIÉRT NEM VÁLASZOL SENKI", Category.ANGER),
    ("Hol tart a javításom?", Category.SPECIFIC_STATUS),
    ("hol tart a javitasom", Category.SPECIFIC_STATUS),
    ("Megérkezett már a rendelt akkumulátorom?", Category.SPECIFIC_STATUS),
    ("Where is my order?", Category.SPECIFIC_STATUS),
    ("Mennyibe kerül egy új Makita fúró?", Category.OUT_OF_SCOPE),
    ("Beszélhetnék egy kollégával?", Category.HUMAN_REQUEST),
])
def test_never_auto_categories(text: str, category: Category) -> None:
    result = check(text)
    assert category in result.categories
    assert result.never_auto


@pytest.mark.parametrize("text", [
    "Mennyi a kaució?",
    "A kármentességi hozzájárulás lopásra is vonatkozik?",  # asks about theft cover
    "Elvesztettem a számlámat, tudnak küldeni másolatot?",  # an invoice, not a machine
    "Ki kezeli az adataimat, és hova írhatok adatvédelmi kérdéssel?",  # asks, no request
    "Mennyit kell fizetni, ha eltörik a véső?",
    "Hogyan lehet lekérdezni egy munkalap állapotát?",
    "Mikor kapom vissza a kauciót, ha kártyával fizettem?",
    "Is there a damage waiver for accidental damage?",
    "jotallas mennyi ido egy uj gepre",
])
def test_informational_questions_are_not_flagged(text: str) -> None:
    assert check(text).categories == ()


def test_status_with_a_document_number_is_a_lookup_not_a_blind_question() -> None:
    result = check("Az ML-2026-04817 munkalapom hol tart?")
    assert Category.SPECIFIC_STATUS not in result.categories
    assert result.cautions[0] is Caution.DOCUMENT_NUMBER
    assert result.document_numbers == ("ML-2026-04817",)


@pytest.mark.parametrize(("text", "caution"), [
    ("Elromlott a bérelt gép, mit tegyek?", Caution.MACHINE_FAULT),
    ("6 db fúrókalapácsot bérelnénk", Caution.QUANTITY_QUOTE),
    ("Tudnak kedvezményt adni?", Caution.DISCOUNT_REQUEST),
])
def test_cautions(text: str, caution: Caution) -> None:
    assert caution in check(text).cautions
