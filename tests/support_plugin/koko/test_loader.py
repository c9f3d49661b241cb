"""koko_load_kb: upsert by kb id, embed only what changed."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.support_plugin.koko.kb_loader import KbFormatError, load
from apps.support_plugin.koko.models import KnowledgeArticle, KnowledgeChunk

from .conftest import KB_PATH, CountingProvider

pytestmark = pytest.mark.django_db


def _edited_copy(tmp_path: Path, kb_id: str, new_body: str) -> Path:
    lines = KB_PATH.read_text(encoding="utf-8").splitlines()
    edited = []
    for line in lines:
        row = json.loads(line)
        if row["id"] == kb_id:
            row["body"] = new_body
        edited.append(json.dumps(row, ensure_ascii=False))
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(edited) + "\n", encoding="utf-8")
    return path


def test_first_load_creates_and_embeds_every_article(counting_provider: CountingProvider) -> None:
    report = load(KB_PATH, counting_provider)

    assert (report.created, report.updated, report.unchanged, report.embedded) == (59, 0, 0, 59)
    article = KnowledgeArticle.objects.get(kb_id="kb-018")
    assert article.title == "Kaució"
    assert article.embedding_model == counting_provider.name
    assert article.embedding_dim == 384 and len(article.embedding) == 384
    assert len(article.content_hash) == 64
    assert "kaucio" in article.search_text  # accent-folded for full-text search
    assert KnowledgeChunk.objects.filter(article=article).count() >= 3


def test_second_load_reembeds_nothing(counting_provider: CountingProvider) -> None:
    load(KB_PATH, counting_provider)
    counting_provider.passages = 0

    report = load(KB_PATH, counting_provider)

    assert (report.created, report.updated, report.unchanged, report.embedded) == (0, 0, 59, 0)
    assert counting_provider.passages == 0


def test_editing_one_article_reembeds_only_that_one(
    tmp_path: Path, counting_provider: CountingProvider
) -> None:
    load(KB_PATH, counting_provider)
    before = KnowledgeArticle.objects.get(kb_id="kb-018")
    counting_provider.passages = 0
    new_body = before.body + " A kaució összegét a bérleti szerződés is tartalmazza."

    report = load(_edited_copy(tmp_path, "kb-018", new_body), counting_provider)

    assert (report.updated, report.unchanged, report.embedded) == (1, 58, 1)
    after = KnowledgeArticle.objects.get(kb_id="kb-018")
    assert after.body == new_body
    assert after.content_hash != before.content_hash
    chunk_count = KnowledgeChunk.objects.filter(article=after).count()
    # One whole-article text plus that article's sentences, nothing else.
    assert counting_provider.passages == 1 + chunk_count
    assert KnowledgeArticle.objects.exclude(kb_id="kb-018").filter(
        embedded_at__gt=before.embedded_at).count() == 0


def test_command_prints_counts(kb: object) -> None:
    out = StringIO()
    call_command("koko_load_kb", str(KB_PATH), stdout=out)
    assert "created=0 updated=0 unchanged=59 embedded=0" in out.getvalue()


def test_malformed_line_is_refused_with_its_number(tmp_path: Path,
                                                  counting_provider: CountingProvider) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "kb-001", "title": "x", "body": "y", "intent": "general", '
                    '"tags": [], "updated": "2026-01-01"}\n{"id": "001"}\n', encoding="utf-8")
    with pytest.raises(KbFormatError, match="line 2"):
        load(path, counting_provider)
    assert not KnowledgeArticle.objects.exists()  # all or nothing


def test_task_reembeds_an_article_edited_in_the_admin(kb: object) -> None:
    from apps.support_plugin.koko.tasks import embed_article

    article = KnowledgeArticle.objects.get(kb_id="kb-008")
    article.body += " Átutalással csak díjbekérő alapján fizethet."
    article.save()
    assert embed_article(article.pk) == 1
    assert embed_article(article.pk) == 0  # idempotent: nothing changed since
