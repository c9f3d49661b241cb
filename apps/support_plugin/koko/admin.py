"""Kokó's Hungarian admin: the knowledge base (saving an edited article re-embeds it),
the approval queue (approve / edit and send / reject) and the weekly figures."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from unfold.admin import ModelAdmin

from kgc_erp.tenants.admin_scoping import TenantScopedAdminMixin

from .approval import Outcome, Result, approve, reject
from .models import KnowledgeArticle, KokoReply
from .stats import weekly
from .tasks import embed_article
from .texts import INTENT_HU, percent, reasons_hu


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


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _enqueue_embedding(article_id: int) -> None:
    try:
        embed_article.delay(article_id)
    except Exception:  # broker down: embed here rather than leave a stale vector
        embed_article(article_id)


# -- the Chatwoot flow: approval queue, replies, figures ----------------------------------------


@admin.register(KokoReply)
class KokoReplyAdmin(TenantScopedAdminMixin[KokoReply], ModelAdmin):
    """A franchise's staff see and decide only their own tenant's replies (the queue, the
    figures and the decisions all go through ``get_queryset``)."""

    list_display = ("created_at", "conversation_link", "intent", "status", "confidence_pct",
                    "source", "send_state", "feedback", "short_text")
    list_filter = ("status", "intent", "source", "send_state", "feedback")
    search_fields = ("customer_text", "draft_text", "reply_text")
    date_hierarchy = "created_at"
    readonly_fields = tuple(f.name for f in KokoReply._meta.fields)
    change_list_template = "koko/admin/reply_changelist.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows come from Chatwoot only

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the record of what was sent; privacy erasure removes rows

    @admin.display(description="beszélgetés")
    def conversation_link(self, obj: KokoReply) -> str:
        return f"#{obj.conversation.conversation_id}"

    @admin.display(description="magabiztosság")
    def confidence_pct(self, obj: KokoReply) -> str:
        return percent(obj.confidence)

    @admin.display(description="ügyfél üzenete")
    def short_text(self, obj: KokoReply) -> str:
        text = obj.customer_text or ("(melléklet)" if obj.has_attachments else "(üres)")
        return text if len(text) <= 80 else text[:79] + "…"

    def get_urls(self) -> list[URLPattern]:
        own = [
            path("queue/", self.admin_site.admin_view(self.queue_view),
                 name="support_koko_kokoreply_queue"),
            path("stats/", self.admin_site.admin_view(self.stats_view),
                 name="support_koko_kokoreply_stats"),
            path("<int:pk>/approve/", self.admin_site.admin_view(self.approve_view),
                 name="support_koko_kokoreply_approve"),
            path("<int:pk>/reject/", self.admin_site.admin_view(self.reject_view),
                 name="support_koko_kokoreply_reject"),
        ]
        return own + super().get_urls()

    def _may_decide(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("support_koko.approve_kokoreply")
                    or request.user.has_perm("support_koko.change_kokoreply"))

    def queue_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        waiting = (self.get_queryset(request).filter(status=KokoReply.Status.AWAITING_APPROVAL)
                   .select_related("conversation", "tenant").order_by("created_at"))
        items = [{"reply": r, "confidence": percent(r.confidence), "reasons": reasons_hu(r),
                  "intent": INTENT_HU.get(r.intent, r.intent)} for r in waiting]
        return TemplateResponse(request, "koko/admin/queue.html", {
            **self.admin_site.each_context(request), "opts": self.opts,
            "title": "Kokó jóváhagyási sor", "items": items,
            "may_decide": self._may_decide(request),
        })

    def stats_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return TemplateResponse(request, "koko/admin/stats.html", {
            **self.admin_site.each_context(request), "opts": self.opts,
            "title": "Kokó statisztika (szándék és hét szerint)",
            "rows": weekly(self.get_queryset(request)),
        })

    def _decision(self, request: HttpRequest, pk: int) -> KokoReply | HttpResponse:
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:support_koko_kokoreply_queue"))
        if not self._may_decide(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        reply = self._decision(request, pk)
        if isinstance(reply, HttpResponse):
            return reply
        text = request.POST.get("text") if request.POST.get("edit") else None
        self._report(request, approve(reply, _user(request), text))
        return HttpResponseRedirect(reverse("admin:support_koko_kokoreply_queue"))

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        reply = self._decision(request, pk)
        if isinstance(reply, HttpResponse):
            return reply
        self._report(request, reject(reply, _user(request)))
        return HttpResponseRedirect(reverse("admin:support_koko_kokoreply_queue"))

    @staticmethod
    def _report(request: HttpRequest, result: Result) -> None:
        level = {Outcome.SENT: messages.SUCCESS, Outcome.REJECTED: messages.SUCCESS,
                 Outcome.QUEUED: messages.WARNING, Outcome.ALREADY_DECIDED: messages.WARNING,
                 }.get(result.outcome, messages.ERROR)
        messages.add_message(request, level, result.message)
