"""Admin of the knowledge base (Hungarian). Saving an edited article re-embeds it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.forms import ModelForm
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from .models import KnowledgeArticle
from .tasks import embed_article


class TagFilter(admin.SimpleListFilter):
    title = "címke"
    parameter_name = "tag"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        tags = sorted({t for row in KnowledgeArticle.objects.values_list("tags", flat=True)
                       for t in row})
        return [(t, t) for t in tags]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        value = self.value()
        return queryset.filter(tags__contains=[value]) if value else queryset


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(ModelAdmin):
    list_display = ("kb_id", "title", "intent", "updated", "is_active", "embedding_model",
                    "embedded_at")
    list_filter = ("intent", TagFilter, "is_active", "embedding_model")
    search_fields = ("kb_id", "title", "search_title", "search_text")
    readonly_fields = ("embedding_model", "embedding_dim", "content_hash", "embedded_at",
                       "created_at", "modified_at")
    fields = ("kb_id", "title", "body", "intent", "tags", "updated", "is_active",
              *readonly_fields)

    def get_search_results(self, request: HttpRequest, queryset: Any,
                           search_term: str) -> tuple[Any, bool]:
        # search_text is accent-folded: "kaucio" finds "Kaució".
        from .normalize import fold

        return super().get_search_results(request, queryset, fold(search_term))

    def save_model(self, request: HttpRequest, obj: KnowledgeArticle, form: ModelForm,
                   change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Synchronous would block the admin on the model; the task is idempotent (hash +
        # model name) and takes only the id. The eventual design routes this through the
        # plugin manager's outbox (a "koko.article_changed" event) so no edit is lost
        # when the broker is down at commit time.
        transaction.on_commit(lambda: _enqueue_embedding(obj.pk))
        messages.info(request, "A cikk újra-beágyazása elindult.")


def _enqueue_embedding(article_id: int) -> None:
    try:
        embed_article.delay(article_id)
    except Exception:  # broker down: embed here rather than leave a stale vector
        embed_article(article_id)
