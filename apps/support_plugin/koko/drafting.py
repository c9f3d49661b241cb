"""Offline reply drafts: the best article's sentences most similar to the question,
framed by a formal Hungarian greeting and closing, citing the article by title.

Extractive on purpose: every sentence of the draft is a sentence of the cited article, so
the draft cannot state a fact the knowledge base does not (the numbers check in
``figures_check`` still verifies it, as it will for generated drafts).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .embeddings import Vector
from .normalize import content_words, fold

GREETING = "Tisztelt Ügyfelünk!"
CLOSING = (
    "Ha további kérdése van, forduljon hozzánk bizalommal.\n\n"
    "Üdvözlettel:\nKokó, a KGC virtuális asszisztense"
)
MAX_SENTENCES = 3
MAX_BODY_CHARS = 480
# Sentence similarity is mostly semantic; shared (folded) words break near-ties, e.g. the
# price-list line that names the machine the customer asked about.
LEXICAL_WEIGHT = 0.05
# "Mennyi a kaució?" wants the sentence with the amount, not the one on how to pay it.
FIGURE_BONUS = 0.03
_ASKS_QUANTITY = re.compile(
    r"\b(mennyi\w*|hany|mekkora|meddig|mikor|ar|ara|arat|dij\w*|koltseg\w*|how much|"
    r"how long|how many|price|fee|cost)\b")
_HAS_FIGURE = re.compile(r"\d")


@dataclass(frozen=True)
class Draft:
    text: str
    body: str  # the quoted sentences only
    kb_ids: tuple[str, ...]
    titles: tuple[str, ...]


class HasTitle(Protocol):
    @property
    def kb_id(self) -> str: ...

    @property
    def title(self) -> str: ...


@dataclass(frozen=True)
class Source:
    kb_id: str
    title: str
    chunks: Sequence[Chunk]


@dataclass(frozen=True)
class Chunk:
    text: str
    vector: Vector


def _lexical_overlap(question_words: set[str], sentence: str) -> float:
    words = set(content_words(sentence))
    if not words or not question_words:
        return 0.0
    # Prefix match (5 letters) tolerates Hungarian suffixes: "kauciot" ~ "kaucio".
    stems = {w[:5] for w in question_words}
    return sum(1 for w in words if w[:5] in stems) / len(question_words)


def best_sentences(question: str, query_vector: Vector, chunks: Sequence[Chunk],
                   limit: int = MAX_SENTENCES) -> list[str]:
    if not chunks:
        return []
    semantic = np.asarray([c.vector for c in chunks]) @ np.asarray(query_vector)
    question_words = set(content_words(question))
    wants_figure = bool(_ASKS_QUANTITY.search(fold(question)))
    scores = [float(sem) + LEXICAL_WEIGHT * _lexical_overlap(question_words, c.text)
              + (FIGURE_BONUS if wants_figure and _HAS_FIGURE.search(c.text) else 0.0)
              for sem, c in zip(semantic, chunks, strict=True)]
    ranked = sorted(range(len(chunks)), key=lambda i: scores[i], reverse=True)
    chosen: list[int] = []
    length = 0
    for index in ranked:
        if len(chosen) == limit or (chosen and length + len(chunks[index].text) > MAX_BODY_CHARS):
            break
        chosen.append(index)
        length += len(chunks[index].text)
    return [chunks[i].text for i in sorted(chosen)]  # in the article's own order


def article_chunks(article_id: int, model: str) -> list[Chunk]:
    """The stored sentences of an article with their vectors (one small query)."""
    from .models import KnowledgeChunk

    rows = (KnowledgeChunk.objects.filter(article_id=article_id, embedding_model=model)
            .order_by("position").values_list("text", "embedding"))
    return [Chunk(text, np.asarray(vector, dtype=np.float32)) for text, vector in rows]


def framed_draft(body: str, cited: Sequence[HasTitle]) -> Draft | None:
    """A generated reply body between the same greeting and closing, citing its articles."""
    body = body.strip()
    if not body or not cited:
        return None
    titles = tuple(c.title for c in cited)
    text = f"{GREETING}\n\n{body}\n\nForrás: {'; '.join(titles)}\n\n{CLOSING}"
    return Draft(text=text, body=body, kb_ids=tuple(c.kb_id for c in cited), titles=titles)


def draft_reply(question: str, query_vector: Vector, sources: Sequence[Source]) -> Draft | None:
    """A reply from the first source (the best hit); None when nothing fits."""
    if not sources:
        return None
    best = sources[0]
    picked = best_sentences(question, query_vector, best.chunks)
    if not picked:
        return None
    body = " ".join(s.lstrip("- ").strip() for s in picked)
    text = f"{GREETING}\n\n{body}\n\nForrás: {best.title}\n\n{CLOSING}"
    return Draft(text=text, body=body, kb_ids=(best.kb_id,), titles=(best.title,))
