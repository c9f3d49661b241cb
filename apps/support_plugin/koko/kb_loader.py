"""Loading the knowledge base from the JSON Lines file (see shared/kb/README.md)."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from .embeddings import EmbeddingProvider
from .indexing import embed_articles
from .models import Intent, KnowledgeArticle, KnowledgeChunk

KB_ID_RE = re.compile(r"^kb-\d{3,}$")
FIELDS = ("title", "body", "intent", "tags", "updated")


class KbFormatError(ValueError):
    """A line of the file is not a valid article."""


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    embedded: int = 0

    def __str__(self) -> str:
        return (f"created={self.created} updated={self.updated} unchanged={self.unchanged} "
                f"embedded={self.embedded}")


def parse_line(line: str, number: int) -> dict[str, Any]:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise KbFormatError(f"line {number}: not JSON ({exc})") from exc
    kb_id = raw.get("id")
    if not isinstance(kb_id, str) or not KB_ID_RE.match(kb_id):
        raise KbFormatError(f"line {number}: id {kb_id!r} is not kb-NNN")
    if raw.get("intent") not in Intent.values:
        raise KbFormatError(f"line {number}: unknown intent {raw.get('intent')!r}")
    try:
        updated = dt.date.fromisoformat(raw["updated"])
        values = {"title": str(raw["title"]).strip(), "body": str(raw["body"]).strip(),
                  "intent": raw["intent"], "tags": [str(t) for t in raw.get("tags") or []],
                  "updated": updated}
    except (KeyError, TypeError, ValueError) as exc:
        raise KbFormatError(f"line {number}: {exc!r}") from exc
    return {"kb_id": kb_id, **values}


def read_articles(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                rows.append(parse_line(line, number))
    return rows


def load(path: Path, provider: EmbeddingProvider) -> LoadReport:
    """Upsert every article of the file by kb id, then embed what changed."""
    report = LoadReport()
    rows = read_articles(path)
    with transaction.atomic():
        existing = {a.kb_id: a for a in KnowledgeArticle.objects.select_for_update()
                    .filter(kb_id__in=[r["kb_id"] for r in rows])}
        touched: list[KnowledgeArticle] = []
        for row in rows:
            article = existing.get(row["kb_id"])
            if article is None:
                article = KnowledgeArticle(**row)
                report.created += 1
            elif any(getattr(article, f) != row[f] for f in FIELDS) or not article.is_active:
                for field in FIELDS:
                    setattr(article, field, row[field])
                article.is_active = True
                report.updated += 1
            else:
                report.unchanged += 1
                touched.append(article)
                continue
            article.save()
            touched.append(article)
        report.embedded = embed_articles(touched, provider)
        if report.created or report.updated or report.embedded:
            # Fresh statistics let the planner choose between the HNSW indexes and an
            # exact scan by the KB's real size: without them a just-loaded 59-article KB
            # looks large, the approximate index is used, and its randomised graph made
            # retrieval (and the evaluation figures) differ from one load to the next.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {KnowledgeArticle._meta.db_table}, "
                               f"{KnowledgeChunk._meta.db_table}")
    return report
