"""What kind of input a message is, before any model sees it.

Empty, emoji-only and attachment-only messages carry nothing to answer; a huge message is
cut for the embedding and goes to a person; English or mixed Hungarian/English messages
get a Hungarian draft that a colleague should look at first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

# Messages longer than this are not a question Kokó should answer alone (pasted e-mails,
# logs, contracts); the embedding sees only the first MAX_EMBED_CHARS of them anyway.
MAX_MESSAGE_CHARS = 2000

_HU_ACCENTS = set("áéíóöőúüű")
_HU_WORD_TEXT = """
az egy es hogy nem van vagy mennyi mikor kell lehet szeretnek szeretnem kerem koszonom jo
napot mar meg itt ott mit hol hogyan berelni berlek gepet gep
"""
_EN_WORD_TEXT = """
the are you your i i'd i'm my how much what can do does would like to for with please
there rent when where which have has been will
"""
_HU_WORDS = frozenset(_HU_WORD_TEXT.split())
_EN_WORDS = frozenset(_EN_WORD_TEXT.split())
_TOKEN_RE = re.compile(r"[A-Za-zÀ-ÿőűŐŰ']+")


class InputKind(StrEnum):
    TEXT = "text"
    EMPTY = "empty"
    NO_TEXT = "no_text"  # emoji, punctuation or symbols only
    ATTACHMENT_ONLY = "attachment_only"
    TOO_LONG = "too_long"


class Language(StrEnum):
    HUNGARIAN = "hu"
    ENGLISH = "en"
    MIXED = "mixed"


@dataclass(frozen=True)
class InputCheck:
    kind: InputKind
    language: Language
    text: str  # stripped; cut to MAX_MESSAGE_CHARS for the models

    @property
    def answerable(self) -> bool:
        return self.kind in (InputKind.TEXT, InputKind.TOO_LONG)


def _has_letters_or_digits(text: str) -> bool:
    return any(unicodedata.category(ch)[0] in ("L", "N") for ch in text)


def language_of(text: str) -> Language:
    tokens = [t.lower() for t in _TOKEN_RE.findall(text)]
    hungarian = sum(1 for t in tokens if t in _HU_WORDS or _HU_ACCENTS & set(t))
    english = sum(1 for t in tokens if t in _EN_WORDS)
    if english >= 2 and hungarian >= 2:
        return Language.MIXED
    if english >= 2 and english > hungarian:
        return Language.ENGLISH
    return Language.HUNGARIAN


def clean(text: str) -> str:
    """The text without what no model or database should see: lone surrogates (not
    encodable as UTF-8, so psycopg and the vector cache would raise), NUL and other control
    characters (PostgreSQL text cannot hold NUL), and invisible format characters
    (zero-width spaces, bidi overrides) that split words for the rules and the search.
    Only Kokó's working copy is cleaned; the customer's message itself is stored as sent."""
    text = text.encode("utf-8", "ignore").decode("utf-8")
    return "".join(
        ch for ch in text
        if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))


def inspect(text: str | None, *, has_attachments: bool = False) -> InputCheck:
    stripped = clean(text or "").strip()
    if not stripped:
        kind = InputKind.ATTACHMENT_ONLY if has_attachments else InputKind.EMPTY
        return InputCheck(kind, Language.HUNGARIAN, "")
    if not _has_letters_or_digits(stripped):
        return InputCheck(InputKind.NO_TEXT, Language.HUNGARIAN, "")
    kind = InputKind.TOO_LONG if len(stripped) > MAX_MESSAGE_CHARS else InputKind.TEXT
    cut = stripped[:MAX_MESSAGE_CHARS]
    return InputCheck(kind, language_of(cut), cut)
