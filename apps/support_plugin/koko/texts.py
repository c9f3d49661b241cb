"""The Hungarian texts colleagues see in Chatwoot: the approval note and the handover
note, with the decision's reasons in words."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import KokoReply

INTENT_HU = {"berles": "bérlés", "szerviz": "szerviz", "ertekesites": "értékesítés",
             "general": "általános"}

CATEGORY_HU = {
    "emergency": "sürgős vészhelyzet",
    "injury_damage": "sérülés vagy kár",
    "theft": "lopás",
    "legal_threat": "jogi fenyegetés",
    "gdpr_request": "adatvédelmi (GDPR) kérés",
    "payment_dispute": "fizetési vita",
    "complaint": "panasz",
    "anger": "ingerült ügyfél",
    "specific_status": "konkrét ügy állapota",
    "out_of_scope": "a tudásbázis nem fedi le",
    "human_request": "kollégát kér",
}

CAUTION_HU = {
    "document_number": "bizonylatszámot említ",
    "machine_fault": "bérelt gép meghibásodása",
    "quantity_quote": "egyedi árajánlat (sok tétel)",
    "discount_request": "kedvezményt kér",
}

INPUT_HU = {
    "empty": "üres üzenet",
    "no_text": "csak emoji vagy írásjel",
    "attachment_only": "csak melléklet, szöveg nélkül",
    "too_long": "túl hosszú üzenet",
}


def reason_hu(reason: str) -> str:
    kind, _, value = reason.partition(":")
    if kind == "category":
        return CATEGORY_HU.get(value, value)
    if kind == "caution":
        return CAUTION_HU.get(value, value)
    if kind == "input":
        return INPUT_HU.get(value, value)
    if kind == "language":
        return "nem magyar nyelvű" if value == "en" else "vegyes nyelvű üzenet"
    if kind == "no_article":
        return "nincs hozzá tudásbázis-cikk"
    if kind == "kb_empty":
        return "a tudásbázis üres (nincs betöltött cikk)"
    if kind == "handover_article":
        return f"kollégai ügy ({value})"
    if kind == "figures":
        return f"a válasz számai nem mind szerepelnek a cikkben ({value})"
    if kind == "no_calibrator":
        return "nincs kalibrált magabiztosság"
    if kind == "brain_error":
        return "Kokó hibája: a döntés nem készült el"
    if kind == "erp" and value == "unknown_contact":
        return "bizonylatszámot említ, de az ügyfél nem azonosított partner"
    if kind == "erp" and value == "not_found":
        return "a bizonylat nem található az ügyfél adatai között"
    if kind == "document":
        return f"bizonylat: {value}"
    return reason


def reasons_hu(reply: KokoReply) -> str:
    words = [reason_hu(r) for r in reply.reasons]
    if reply.category and f"category:{reply.category}" not in reply.reasons:
        words.insert(0, CATEGORY_HU.get(reply.category, reply.category))
    if not words:
        words = ["alacsony magabiztosság"]
    return "; ".join(dict.fromkeys(words))


def percent(confidence: float) -> str:
    return f"{round(confidence * 100)}%"


def approval_note(reply: KokoReply) -> str:
    sources = f"\nForrás: {', '.join(reply.kb_ids)}" if reply.kb_ids else ""
    return (
        f"🤖 Kokó javaslat ({percent(reply.confidence)} magabiztosság, "
        f"szándék: {INTENT_HU.get(reply.intent, reply.intent)}):\n\n{reply.draft_text}\n\n"
        f"✅ Jóváhagyás szükséges a KGC adminban (Kokó jóváhagyási sor, #{reply.pk}). "
        f"Ok: {reasons_hu(reply)}.{sources}"
    )


def escalation_note(reply: KokoReply, team_name: str, team_id: int | None) -> str:
    team = (f"a(z) „{team_name or team_id}” csapatnak" if team_id is not None
            else "kollégának (ehhez a szándékhoz nincs csapat beállítva)")
    return (
        f"🤖 Kokó átadta a beszélgetést {team}. "
        f"Ok: {reasons_hu(reply)}. Magabiztosság: {percent(reply.confidence)}, "
        f"szándék: {INTENT_HU.get(reply.intent, reply.intent)}. "
        "Kokó ebben a beszélgetésben nem válaszol többet."
    )


__all__ = ("INTENT_HU", "approval_note", "escalation_note", "percent", "reason_hu",
           "reasons_hu")
