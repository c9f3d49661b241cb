"""Keyword rules for the cases Kokó must never answer alone (accent-insensitive, Hungarian
and English), and for the cases that need a colleague's check first.

Rules are here because a missed legal threat or injury costs far more than a needlessly
escalated question, and a regex is predictable where a classifier trained on a few
hundred messages is not. They match the folded text (normalize.fold), so "ügyvéd",
"ugyved" and "ÜGYVÉD" are the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from .normalize import fold


class Category(StrEnum):
    """Never-auto categories: a person always handles these."""

    EMERGENCY = "emergency"
    INJURY_DAMAGE = "injury_damage"
    THEFT = "theft"
    LEGAL_THREAT = "legal_threat"
    GDPR_REQUEST = "gdpr_request"
    PAYMENT_DISPUTE = "payment_dispute"
    COMPLAINT = "complaint"
    ANGER = "anger"
    SPECIFIC_STATUS = "specific_status"
    OUT_OF_SCOPE = "out_of_scope"  # mostly decided by retrieval; purchase prices by a rule
    HUMAN_REQUEST = "human_request"  # the customer asks for a person


class Caution(StrEnum):
    """Not dangerous, but a colleague should check the draft (at most approval)."""

    DOCUMENT_NUMBER = "document_number"  # ML-/R-/B- number: needs the ERP, not the KB
    MACHINE_FAULT = "machine_fault"  # a rented machine broke down: replacement decision
    QUANTITY_QUOTE = "quantity_quote"  # 5+ items: individual quote (kb-055)
    DISCOUNT_REQUEST = "discount_request"  # the bot never grants discounts (kb-055)


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# Ordered by urgency: the first matching category names the case.
CATEGORY_RULES: tuple[tuple[Category, re.Pattern[str]], ...] = (
    (Category.EMERGENCY, _rx(
        r"veszhelyzet", r"\bsos\b", r"kigyul", r"\bég\b|\beg a\b", r"\btuz\b|\btuzet\b",
        r"\bfust", r"aramutes", r"gazszag", r"szivarog", r"szikraz", r"robban",
        r"\bemergency\b", r"\bon fire\b", r"\bsmoke\b", r"\b112\b",
    )),
    (Category.INJURY_DAMAGE, _rx(
        r"megserul", r"megsebes", r"\bsérül|\bserult\b|\bserules", r"baleset", r"korhaz",
        r"verzik|verzes", r"osszetor", r"\beltort\b", r"tonkre", r"megrongal", r"rongal",
        r"nekitolat", r"nekiment", r"leesett",
        r"\binjur", r"\bhurt\b", r"\bdamaged\b", r"\baccident\b", r"\bbroke\b",
    )),
    (Category.THEFT, _rx(
        r"ellop", r"\bloptak\b", r"feltort", r"betort", r"elvittek a berelt",
        r"elvesztettem a berelt", r"elveszett a berelt", r"elvesztettem a gep",
        r"\bstole\b|\bstolen\b|\btheft\b",
    )),
    (Category.LEGAL_THREAT, _rx(
        r"ugyved", r"feljelent", r"birosag", r"\bperel|\bperelni|bepereln", r"\bper(t|be)\b",
        r"fogyasztovedelem", r"bekelteto", r"jogi lepes", r"hatosaghoz fordul",
        r"\blawyer", r"\blegal action\b", r"\bsue\b", r"\bcourt\b",
    )),
    (Category.GDPR_REQUEST, _rx(
        r"torol\w*\s+(az\s+|a\s+)?(osszes\s+)?(szemelyes\s+)?adat", r"toroljek",
        r"adat\w*\s+torl", r"(adatok|adataim)\w*\s+masolat", r"rolam\s+(tarolt|nyilvan)",
        r"helyesbits|helyesbit", r"tiltakozom\s+az\s+adat", r"adathordozhat",
        r"gdpr\s+alapjan", r"\bdelete my\b", r"\berase my\b", r"\bmy personal data\b",
    )),
    (Category.PAYMENT_DISPUTE, _rx(
        r"ketszer\s+(vontak|terhelt|fizett|szamlaz)", r"jogtalanul", r"tevesen\s+szamlaz",
        r"rossz\s+osszeg", r"nem\s+kaptam\s+vissza", r"miert\s+vontak\s+le",
        r"nem\s+fizetem\s+ki", r"vissza\s*kerem\s+a\s+(penz|kulonbozet|kaucio)",
        r"charged twice", r"double charged", r"overcharged", r"wrongly charged",
    )),
    (Category.COMPLAINT, _rx(
        r"\bpanasz", r"reklamal", r"kifogas", r"elegedetlen", r"\bcomplain",
    )),
    (Category.ANGER, _rx(
        r"!!!", r"\?\?\?", r"szanalmas", r"felhaborit", r"botrany", r"\bhulye", r"\bvicc\b",
        r"elfogadhatatlan", r"pofatlan", r"nevetseges", r"soha tobbe", r"\bcsalo",
        r"\bridiculous\b", r"\bworst\b", r"\bterrible\b", r"\bunacceptable\b",
        r"\bidiot", r"\bstupid\b", r"\bscam\b",
    )),
    # The knowledge base lists rental prices only: "how much is a new X" or "what would you
    # pay for my old X" must not be answered from a rental price list.
    (Category.OUT_OF_SCOPE, re.compile(
        r"(?=.*(mennyibe kerul|mennyiert|mibe kerul|\bara\b|\barat\b|how much))"
        r"(?=.*(\buj\b|vasarol|megvasarol|megvenn|vennek|\bvenni\b|\bbuy\b|\bnew\b))",
    )),
    (Category.HUMAN_REQUEST, _rx(
        r"(beszelhet\w*|beszelni|kapcsol\w*)\s+(egy\s+)?(kollega|emberrel|ugyintezo)",
        r"adjon\s+egy\s+embert", r"\bkollegaval\b", r"kivel\s+(beszelhet|egyeztethet)",
        r"\bhuman\b", r"real person",
        r"\btalk to (an? )?(agent|person|someone)\b",
    )),
)

_DOCUMENT_NUMBER = re.compile(r"\b(ml|r|b)-\d{4}-\d{3,6}\b")
_STATUS_PHRASE = _rx(
    r"hol tart", r"kesz van( mar)?", r"elkeszult( mar)?", r"mikor lesz kesz",
    r"megerkezett( mar)?", r"mikor (jon|erkezik) meg", r"mi a helyzet", r"mi van a",
    r"allapot", r"meddig szol", r"hol van a", r"\bis my\b", r"\bwhere is my\b",
    r"status of my",
)
_OWN_THING = _rx(
    # "javításom", "fűnyíróm", "gépemre", "rendelésemmel", "bérlésem" ...
    r"\b\w*(gep|funyiro|furesz|furo|akku|akkumulator|sovenyvago|kasza|aggregator|"
    r"kompresszor|csiszolo|rendeles|javitas|munkalap|berles|arajanlat|keszulek)"
    r"(om|em|am|m)(et|at|re|ra|mel|mal|rol|ral|nak|nek)?\b",
    r"\b(leadott|leadtam|megrendelt|rendelt|mostani|berelt)\b",
    r"\bmy (repair|order|machine|rental|device)\b",
)
CAUTION_RULES: tuple[tuple[Caution, re.Pattern[str]], ...] = (
    (Caution.MACHINE_FAULT, _rx(
        r"(elromlott|leallt|meghibasodott|bedoglott)\s+a\s+berelt", r"nem indul (ujra|el)",
        r"\bbroke down\b", r"stopped working",
    )),
    (Caution.QUANTITY_QUOTE, _rx(r"\b([5-9]|\d{2,})\s*(db|darab)\b", r"\b([5-9]|\d{2,})\s+gep")),
    (Caution.DISCOUNT_REQUEST, _rx(
        r"(adni|adnak|adnatok|kaphatok|kaphatnek|kerek|kernek)\s+(\w+\s+)?kedvezmeny",
        r"kedvezmeny\w*\s+(adni|adnak|kaphat|kerek)", r"\bdiscount\b",
    )),
)


@dataclass(frozen=True)
class RuleResult:
    categories: tuple[Category, ...] = ()
    cautions: tuple[Caution, ...] = ()
    document_numbers: tuple[str, ...] = field(default=())

    @property
    def category(self) -> Category | None:
        return self.categories[0] if self.categories else None

    @property
    def never_auto(self) -> bool:
        return bool(self.categories)


def _shouting(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 12 and sum(ch.isupper() for ch in letters) / len(letters) > 0.8


def check(text: str) -> RuleResult:
    folded = fold(text)
    categories = [category for category, rule in CATEGORY_RULES if rule.search(folded)]
    if _shouting(text) and Category.ANGER not in categories:
        categories.append(Category.ANGER)
    numbers = tuple(m.group(0).upper() for m in _DOCUMENT_NUMBER.finditer(folded))
    if not numbers and _STATUS_PHRASE.search(folded) and _OWN_THING.search(folded):
        categories.append(Category.SPECIFIC_STATUS)
    cautions = [caution for caution, rule in CAUTION_RULES if rule.search(folded)]
    if numbers:
        cautions.insert(0, Caution.DOCUMENT_NUMBER)
    order = list(Category)
    return RuleResult(tuple(sorted(set(categories), key=order.index)), tuple(cautions), numbers)
