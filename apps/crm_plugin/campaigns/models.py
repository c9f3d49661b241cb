"""Campaign definitions, their runs, every e-mail sent (with what the customer saw)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CampaignKind(models.TextChoices):
    EXPIRY_REMINDER = "expiry_reminder", _("Bérlés lejárati emlékeztető")
    REPAIR_READY = "repair_ready", _("Javítás kész értesítő")
    UPSELL = "upsell", _("Vásárlási ajánlat gyakori bérlőknek")
    WIN_BACK = "win_back", _("Visszacsábító ajánlat")
    NEW_MACHINES = "new_machines", _("Új gépek a korábban bérelt kategóriában")
    VIP_WELCOME = "vip_welcome", _("VIP üdvözlés")


# Service messages the customer needs for a contract in progress: no consent required,
# no unsubscribe link. Everything else is marketing.
TRANSACTIONAL_KINDS = frozenset({CampaignKind.EXPIRY_REMINDER, CampaignKind.REPAIR_READY})


class Campaign(models.Model):
    """One definition row per campaign kind, switched on and off per tenant in the admin."""

    kind = models.CharField(_("kampány"), max_length=32, choices=CampaignKind.choices,
                            unique=True)
    name = models.CharField(_("megnevezés"), max_length=200)
    is_active = models.BooleanField(_("aktív"), default=True)
    disabled_tenants = models.ManyToManyField(
        "tenants.Tenant", blank=True, related_name="+", verbose_name=_("kikapcsolva ezeknél"),
        help_text=_("Ezeknek a telephelyeknek a partnerei nem kapják meg ezt a kampányt."),
    )
    discount_percent = models.PositiveSmallIntegerField(
        _("kedvezmény (%)"), default=0, help_text=_("Az ajánlatokban szereplő kedvezmény."),
    )
    # What the campaign has already looked at (new machines: the highest machine id seen).
    state = models.JSONField(_("állapot"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("módosítva"), auto_now=True)

    class Meta:
        verbose_name = _("e-mail kampány")
        verbose_name_plural = _("e-mail kampányok")
        ordering = ("id",)

    def __str__(self) -> str:
        return self.name

    @property
    def is_marketing(self) -> bool:
        return self.kind not in TRANSACTIONAL_KINDS


class CampaignRun(models.Model):
    """One selection of a campaign: how many partners it found and what became of them."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="runs",
                                 verbose_name=_("kampány"))
    occasion_date = models.DateField(_("napja"))
    started_at = models.DateTimeField(_("indult"), auto_now_add=True)
    finished_at = models.DateTimeField(_("befejeződött"), null=True, blank=True)
    selected = models.PositiveIntegerField(_("kiválasztva"), default=0)
    queued = models.PositiveIntegerField(_("új küldés"), default=0)
    skipped_no_consent = models.PositiveIntegerField(_("kihagyva: nincs hozzájárulás"),
                                                     default=0)
    skipped_no_email = models.PositiveIntegerField(_("kihagyva: nincs e-mail"), default=0)
    skipped_already_sent = models.PositiveIntegerField(_("kihagyva: már megkapta"), default=0)

    class Meta:
        verbose_name = _("kampányfuttatás")
        verbose_name_plural = _("kampányfuttatások")
        ordering = ("-started_at", "-id")

    def __str__(self) -> str:
        return f"{self.campaign} @ {self.occasion_date}"


class CampaignSend(models.Model):
    """One e-mail to one partner for one occasion: unique, so nothing is ever sent twice.

    The occasion key names what the e-mail is about (a rental and its due date, a worklog,
    a half-year...): a rerun, a crashed run resumed, or the event and the selection both
    reaching the same reminder find the row instead of making a second one.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Küldésre vár")
        # Taken by a batch that is sending (batches.py): not yet on the wire.
        CLAIMED = "claimed", _("Kötegben, küldésre kijelölve")
        SENDING = "sending", _("Küldés folyamatban")
        SENT = "sent", _("Elküldve")
        FAILED = "failed", _("Sikertelen")
        SKIPPED = "skipped", _("Kihagyva")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="sends",
                                 verbose_name=_("kampány"))
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("telephely"))
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE,
                                related_name="+", verbose_name=_("partner"))
    run = models.ForeignKey(CampaignRun, on_delete=models.SET_NULL, null=True, blank=True,
                            related_name="sends", verbose_name=_("futtatás"))
    occasion_key = models.CharField(_("alkalom"), max_length=100)
    # What the templates talk about (a rental, a worklog, a machine category...).
    context = models.JSONField(_("adatok"), default=dict, blank=True)
    status = models.CharField(_("állapot"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    to_email = models.EmailField(_("címzett"), blank=True)
    subject = models.CharField(_("tárgy"), max_length=300, blank=True)
    body_html = models.TextField(_("HTML törzs"), blank=True)
    body_text = models.TextField(_("szöveges törzs"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=300, blank=True)
    # When a batch took the row (the database's clock): after a database restart, rows
    # taken before it may have lost their "sending" mark (batches.py).
    claimed_at = models.DateTimeField(_("kötegbe véve"), null=True, blank=True)
    error = models.TextField(_("hiba"), blank=True)
    created_at = models.DateTimeField(_("létrehozva"), auto_now_add=True)
    sent_at = models.DateTimeField(_("elküldve"), null=True, blank=True)

    class Meta:
        verbose_name = _("elküldött e-mail")
        verbose_name_plural = _("elküldött e-mailek")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=("campaign", "partner", "occasion_key"),
                                    name="campaign_send_once"),
        ]
        indexes = [
            # "Has this partner had this campaign since ..." (win-back's six months).
            models.Index(fields=("partner", "campaign", "created_at"),
                         name="campaign_send_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign.kind} → {self.partner_id} ({self.occasion_key})"
