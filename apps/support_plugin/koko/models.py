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
