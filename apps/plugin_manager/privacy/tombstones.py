"""Tombstones: "this phone / e-mail was erased here", kept without keeping the value.

A tombstone stores HMAC-SHA256(key, normalised value). The key is derived from
``PRIVACY_TOMBSTONE_KEY`` when set (so rotating SECRET_KEY does not forget erasures), else
from SECRET_KEY. Normalised: phones to E.164 (``normalize_phone``), e-mails trimmed and
lower-cased, so any notation of the same number finds the tombstone.

Inbound paths (a contact created in a connector, a bot lookup) ask ``is_tombstoned`` and
refuse to bring an erased person back; staff may lift a tombstone on purpose (recorded).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.conf import settings
from django.utils import timezone

from kgc_erp.partners.phone import InvalidPhoneNumber, normalize_phone
from kgc_erp.tenants.models import Tenant

from .models import PrivacyRequest, Tombstone

log = logging.getLogger("privacy.tombstones")


def _secret() -> str:
    return str(getattr(settings, "PRIVACY_TOMBSTONE_KEY", "") or settings.SECRET_KEY)


@lru_cache(maxsize=4)
def _keyed(secret: str) -> hmac.HMAC:
    """The HMAC state after the key, copied per value: a campaign selection hashes up to
    one address per candidate, and re-deriving the key each time tripled the cost."""
    key = hashlib.sha256(b"kgc-erp.privacy-tombstone:" + secret.encode()).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def normalised_phone(raw: str) -> str:
    try:
        return normalize_phone(raw) if (raw or "").strip() else ""
    except InvalidPhoneNumber:
        return ""


def normalised_email(raw: str) -> str:
    return (raw or "").strip().lower()


def digest(kind: str, value: str) -> str:
    normal = normalised_phone(value) if kind == Tombstone.Kind.PHONE else normalised_email(value)
    return digest_of_normalised(kind, normal)


def digest_of_normalised(kind: str, normal: str) -> str:
    """`digest` of a value already in its normalised form (a phone number in E.164 from
    normalize_phone): spares a hot path parsing the number a second time."""
    if not normal:
        return ""
    keyed = _keyed(_secret()).copy()
    keyed.update(f"{kind}:{normal}".encode())
    return keyed.hexdigest()


def _digests(phone: str, email: str) -> list[tuple[str, str]]:
    pairs = [(Tombstone.Kind.PHONE.value, digest(Tombstone.Kind.PHONE, phone)),
             (Tombstone.Kind.EMAIL.value, digest(Tombstone.Kind.EMAIL, email))]
    return [(kind, value) for kind, value in pairs if value]


def _tenant_id(tenant: Tenant | int) -> int:
    return tenant if isinstance(tenant, int) else tenant.pk


def active_tombstones(tenant: Tenant | int, *, phone: str = "",
                      email: str = "") -> list[Tombstone]:
    pairs = _digests(phone, email)
    if not pairs:
        return []
    found: list[Tombstone] = []
    for kind, value in pairs:
        found += list(Tombstone.objects.filter(tenant_id=_tenant_id(tenant), kind=kind,
                                               digest=value, lifted_at__isnull=True))
    return found


def is_tombstoned(tenant: Tenant | int, *, phone: str = "", email: str = "") -> bool:
    """True when the phone or the e-mail belongs to a person erased in this tenant."""
    return bool(active_tombstones(tenant, phone=phone, email=email))


def tombstoned_anywhere(*, phone: str = "", email: str = "") -> bool:
    """For paths not tied to one tenant (a CRM instance shared by several stores): erased
    in any tenant."""
    pairs = _digests(phone, email)
    return any(Tombstone.objects.filter(kind=kind, digest=value, lifted_at__isnull=True)
               .exists() for kind, value in pairs)


def tombstone_checker(kind: str, tenant_ids: Iterable[int]) -> Callable[[int, str], bool]:
    """For bulk paths (a campaign selection of tens of thousands of partners): one query
    for the tenants' active tombstones of ``kind``, then ``check(tenant_id, value)`` hashes
    only when that tenant has any."""
    by_tenant: dict[int, set[str]] = {}
    for tenant_id, value in Tombstone.objects.filter(
            tenant_id__in=list(tenant_ids), kind=kind, lifted_at__isnull=True
    ).values_list("tenant_id", "digest"):
        by_tenant.setdefault(tenant_id, set()).add(value)

    def check(tenant_id: int, value: str) -> bool:
        known = by_tenant.get(tenant_id)
        return bool(known) and bool(value) and digest(kind, value) in known  # type: ignore[operator]

    return check


def partner_erased(partner_id: int | None) -> bool:
    """True when an erasure request was opened for this partner row (paths that hold a
    partner id rather than a phone or e-mail, e.g. a mirrored ticket's requester)."""
    if partner_id is None:
        return False
    return PrivacyRequest.objects.filter(partner_id=partner_id,
                                         kind=PrivacyRequest.Kind.ERASURE).exists()


def refused(path: str, tenant: Tenant | int, what: str) -> None:
    """Log that an inbound path refused an erased person (no value, only where and what)."""
    log.info("privacy.tombstone.refused path=%s tenant=%s what=%s", path, _tenant_id(tenant),
             what)


def write_tombstones(request: PrivacyRequest, *, phone: str, email: str) -> int:
    """At erasure opening, before the partner row is anonymised."""
    written = 0
    for kind, value in _digests(phone, email):
        _, created = Tombstone.objects.get_or_create(
            tenant_id=request.tenant_id, kind=kind, digest=value, lifted_at__isnull=True,
            defaults={"request": request},
        )
        written += int(created)
    return written


def lift(tombstones: Iterable[Tombstone], *, user: object, reason: str) -> int:
    """Staff record the person again on purpose: the tombstone stays, marked lifted."""
    ids = [t.pk for t in tombstones if t.lifted_at is None]
    lifted = Tombstone.objects.filter(pk__in=ids, lifted_at__isnull=True).update(
        lifted_at=timezone.now(), lifted_by_id=getattr(user, "pk", None),
        lift_reason=reason[:300])
    if lifted:
        log.info("privacy.tombstone.lifted ids=%s by=%s", ids, getattr(user, "pk", None))
    return lifted


__all__ = ("active_tombstones", "digest", "is_tombstoned", "lift", "normalised_email",
           "normalised_phone", "partner_erased", "refused", "tombstone_checker",
           "tombstoned_anywhere", "write_tombstones")
