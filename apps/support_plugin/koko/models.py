"""Kokó's knowledge base: one row per article, with its vector and its search text."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models.functions import Upper
from pgvector.django import HnswIndex, VectorField

from .embeddings import DIMENSION
from .normalize import fold


class Intent(models.TextChoices):
    BERLES = "berles", "Bérlés"
    SZERVIZ = "szerviz", "Szerviz"
    ERTEKESITES = "ertekesites", "Értékesítés"
    GENERAL = "general", "Általános"


class KnowledgeArticle(models.Model):
    kb_id = models.CharField("azonosító", max_length=16, unique=True,
                             help_text="Stabil azonosító (kb-NNN); soha nem számozzuk át.")
    title = models.CharField("cím", max_length=300)
    body = models.TextField("szöveg")
    intent = models.CharField("szándék", max_length=16, choices=Intent.choices)
    tags = ArrayField(models.CharField(max_length=80), default=list, blank=True,
                      verbose_name="címkék")
    updated = models.DateField("utolsó tartalmi változás")
    is_active = models.BooleanField("aktív", default=True)

    # One 384-dimension column for every provider (Gemini is asked for 384 dimensions);
    # a vector is only compared with vectors of the same `embedding_model`.
    embedding = VectorField(dimensions=DIMENSION, null=True, blank=True, editable=False)
    embedding_model = models.CharField("beágyazási modell", max_length=80, blank=True,
                                       editable=False)
    embedding_dim = models.PositiveSmallIntegerField("dimenzió", null=True, editable=False)
    # sha256 of the embedded text: re-embed only when it (or the model) changes.
    content_hash = models.CharField("tartalom hash", max_length=64, blank=True,
                                    editable=False)
    embedded_at = models.DateTimeField("beágyazva", null=True, editable=False)

    # Accent-folded lower-case text (normalize.fold), maintained on save: title and tags
    # (weight A in the tsvector: a word of the title counts ten times a word of the body),
    # and the body.
    search_title = models.TextField(blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)
    # 'simple' config: no stemming or stop words of its own (the text is already folded,
    # so the 'hungarian' stemmer, which expects accents, would misread it). Hungarian
    # suffixes are handled at query time by prefix matching (retrieval.ts_query).
    search_vector = models.GeneratedField(
        expression=(SearchVector("search_title", config="simple", weight="A")
                    + SearchVector("search_text", config="simple", weight="D")),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "tudásbázis cikk"
        verbose_name_plural = "tudásbázis cikkek"
        ordering = ("kb_id",)
        indexes = [
            HnswIndex(name="koko_article_embedding_hnsw", fields=["embedding"],
                      m=16, ef_construction=64, opclasses=["vector_cosine_ops"]),
            GinIndex(fields=["search_vector"], name="koko_article_fts_gin"),
            # The admin's search is UPPER(title) LIKE '%...%': a trigram index serves it.
            GinIndex(OpClass(Upper("title"), name="gin_trgm_ops"),
                     name="koko_article_title_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.kb_id} {self.title}"

    def save(self, *args: object, **kwargs: object) -> None:
        # The folded search text follows the content on every save, whoever saves.
        self.search_title = fold(" ".join([self.title, *(self.tags or [])]))
        self.search_text = fold(self.body)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_title", "search_text"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def embedding_text(self) -> str:
        """What gets embedded (the KB README's suggestion: title, blank line, body)."""
        return f"{self.title}\n\n{self.body}"


class KnowledgeChunk(models.Model):
    """One sentence (or price-list line) of an article, with its own vector.

    Short questions match one sentence far better than a whole article ("Elfogadják a
    SZÉP-kártyát?" is one line of the payment article), so retrieval scores an article by
    its whole-text vector plus its best sentence; drafting picks sentences by these same
    vectors without embedding anything at question time.
    """

    article = models.ForeignKey(KnowledgeArticle, on_delete=models.CASCADE,
                                related_name="chunks")
    position = models.PositiveSmallIntegerField()
    text = models.TextField()
    embedding = VectorField(dimensions=DIMENSION)
    embedding_model = models.CharField(max_length=80)

    class Meta:
        verbose_name = "tudásbázis mondat"
        verbose_name_plural = "tudásbázis mondatok"
        ordering = ("article", "position")
        constraints = [
            models.UniqueConstraint(fields=["article", "position"],
                                    name="koko_chunk_article_position_uniq"),
        ]
        indexes = [
            HnswIndex(name="koko_chunk_embedding_hnsw", fields=["embedding"],
                      m=16, ef_construction=64, opclasses=["vector_cosine_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}#{self.position}"


# -- the Chatwoot flow ------------------------------------------------------------------------


class KokoConversation(models.Model):
    """A Chatwoot conversation Kokó has seen. ``silenced_at`` is set when a colleague took
    it over (an agent replied, or Kokó escalated it): Kokó then stays quiet in it."""

    class Silence(models.TextChoices):
        HUMAN_REPLY = "human_reply", "Kolléga válaszolt"
        ESCALATED = "escalated", "Kollégának átadva"

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+",
                               verbose_name="telephely")
    account_id = models.PositiveIntegerField("Chatwoot fiók")
    conversation_id = models.PositiveIntegerField("beszélgetés (display id)")
    contact_id = models.PositiveIntegerField("Chatwoot kapcsolat", null=True, blank=True)
    partner = models.ForeignKey("partners.Partner", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name="partner")
    silenced_at = models.DateTimeField("Kokó elhallgatott", null=True, blank=True)
    silenced_reason = models.CharField("elhallgatás oka", max_length=20, blank=True,
                                       choices=Silence.choices)
    team_id = models.PositiveIntegerField("Chatwoot csapat", null=True, blank=True)
    created_at = models.DateTimeField("létrehozva", auto_now_add=True)
    updated_at = models.DateTimeField("módosítva", auto_now=True)

    class Meta:
        verbose_name = "Kokó beszélgetés"
        verbose_name_plural = "Kokó beszélgetések"
        constraints = [
            models.UniqueConstraint(fields=("tenant", "account_id", "conversation_id"),
                                    name="koko_conversation_unique"),
        ]

    def __str__(self) -> str:
        return f"Chatwoot #{self.conversation_id}"


class KokoReply(models.Model):
    """Kokó's decision about one customer message, and what became of it.

    One row per (tenant, account, message id): a redelivered webhook or a retried handler
    finds the row instead of deciding again. ``send_state`` is the send claim: ``sending``
    with ``send_claimed_until`` in the past means an attempt whose outcome is unknown, so
    the next attempt looks for the message in Chatwoot (by ``source_id``) before posting.
    """

    class Status(models.TextChoices):
        AUTO = "auto", "Automatikus válasz"
        AWAITING_APPROVAL = "awaiting_approval", "Jóváhagyásra vár"
        APPROVED = "approved", "Jóváhagyva"
        EDITED = "edited", "Szerkesztve elküldve"
        REJECTED = "rejected", "Elutasítva"
        ESCALATED = "escalated", "Kollégának átadva"
        SILENCED = "silenced", "Nem válaszolt (kolléga viszi)"

    class SendState(models.TextChoices):
        NONE = "", "—"
        PENDING = "pending", "Küldésre vár"
        SENDING = "sending", "Küldés folyamatban"
        SENT = "sent", "Elküldve"
        FAILED = "failed", "Sikertelen"

    class Source(models.TextChoices):
        KB = "kb", "Tudásbázis"
        ERP = "erp", "ERP állapot"

    class Feedback(models.TextChoices):
        NONE = "", "—"
        UP = "up", "👍"
        DOWN = "down", "👎"

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+",
                               verbose_name="telephely")
    conversation = models.ForeignKey(KokoConversation, on_delete=models.CASCADE,
                                     related_name="replies", verbose_name="beszélgetés")
    account_id = models.PositiveIntegerField("Chatwoot fiók")
    message_id = models.PositiveBigIntegerField("ügyfélüzenet azonosító")
    customer_text = models.TextField("ügyfél üzenete", blank=True)
    has_attachments = models.BooleanField("melléklet", default=False)

    route = models.CharField("sáv", max_length=16)
    intent = models.CharField("szándék", max_length=16, choices=Intent.choices)
    confidence = models.FloatField("magabiztosság")
    category = models.CharField("kategória", max_length=40, blank=True)
    kb_ids = ArrayField(models.CharField(max_length=16), default=list, blank=True,
                        verbose_name="cikkek")
    reasons = ArrayField(models.CharField(max_length=200), default=list, blank=True,
                         verbose_name="okok")
    source = models.CharField("forrás", max_length=8, choices=Source.choices,
                              default=Source.KB)
    draft_text = models.TextField("javaslat", blank=True)
    reply_text = models.TextField("elküldött válasz", blank=True)

    status = models.CharField("állapot", max_length=20, choices=Status.choices)
    decided_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+", verbose_name="döntött")
    decided_at = models.DateTimeField("döntés ideje", null=True, blank=True)

    send_state = models.CharField("küldés", max_length=10, choices=SendState.choices,
                                  default=SendState.NONE, blank=True)
    send_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    send_attempts = models.PositiveSmallIntegerField("küldési kísérletek", default=0)
    send_error = models.TextField("küldési hiba", blank=True)
    chatwoot_message_id = models.PositiveBigIntegerField("Chatwoot üzenet", null=True,
                                                         blank=True)
    sent_at = models.DateTimeField("elküldve", null=True, blank=True)
    # The private note (suggestion or handover reason) and the escalation's actions are
    # done once; these record that they are.
    note_message_id = models.PositiveBigIntegerField("belső jegyzet", null=True, blank=True)
    handover_done_at = models.DateTimeField("átadás kész", null=True, blank=True)

    feedback = models.CharField("visszajelzés", max_length=4, choices=Feedback.choices,
                                default=Feedback.NONE, blank=True)
    feedback_source = models.CharField("visszajelzés forrása", max_length=20, blank=True)
    csat_rating = models.PositiveSmallIntegerField("CSAT értékelés", null=True, blank=True)
    feedback_at = models.DateTimeField("visszajelzés ideje", null=True, blank=True)

    created_at = models.DateTimeField("érkezett", auto_now_add=True)
    updated_at = models.DateTimeField("módosítva", auto_now=True)

    class Meta:
        verbose_name = "Kokó válasz"
        verbose_name_plural = "Kokó válaszok"
        ordering = ("-created_at",)
        constraints = [
            # One customer message, one decision, at most one bot reply.
            models.UniqueConstraint(fields=("tenant", "account_id", "message_id"),
                                    name="koko_reply_once_per_message"),
        ]
        indexes = [
            models.Index(fields=("status", "created_at"), name="koko_reply_status_idx"),
        ]
        permissions = [("approve_kokoreply", "Kokó válaszok jóváhagyása")]

    def __str__(self) -> str:
        return f"Kokó #{self.pk} ({self.get_status_display()})"

    @property
    def source_id(self) -> str:
        """The Chatwoot ``source_id`` of the reply: finds it again after a lost answer."""
        return f"koko:{self.account_id}:{self.message_id}"

    @property
    def note_source_id(self) -> str:
        return f"koko:{self.account_id}:{self.message_id}:note"
