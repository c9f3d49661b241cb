"""Accent folding and tokenising, the same on the stored text and on the customer's message.

Customers often type Hungarian without accents ("kaucio", "nyitvatartas"). Folding both
sides in Python with one function keeps them consistent and keeps the generated tsvector
column immutable (PostgreSQL's ``unaccent()`` is only STABLE, so it cannot feed a
generated column without a wrapper function).
"""

from __future__ import annotations

import re
import unicodedata

_WORD_RE = re.compile(r"[a-z0-9]+")
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÁÉÍÓÖŐÚÜŰ0-9(„\"-])|\n+")

# Function words that would make an OR-ed full-text query match every article.
_STOPWORD_TEXT = """
    a az egy es is de hogy van vannak nem mi mit mik mikor hol hogyan hany mennyi melyik
    ha akkor azt ez ezt azt meg mar csak vagy kell lehet lesz volt nekem nekunk ott itt
    en on onok maga kerem kerdes kerdezni szeretnek szeretnem tudok tudom tudnak tudna
    jo napot koszonom koszi udv hello szia sziasztok tisztelt halo
    the and or is are to of in on for it i my we you do does can what how when where
    please hi hello thanks thank with at be this that
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def fold(text: str) -> str:
    """Lower case without diacritics: "Kaució, Győr" -> "kaucio, gyor"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Folded alphanumeric tokens."""
    return _WORD_RE.findall(fold(text))


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 1]


def sentences(text: str) -> list[str]:
    """Sentences and lines (the articles use line breaks for price lists)."""
    parts = (p.strip() for p in _SENTENCE_RE.split(text))
    return [p for p in parts if p]
