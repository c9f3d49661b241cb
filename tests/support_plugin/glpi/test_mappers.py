"""The pure mappings: ticket and followup input, markers, labels -> type/urgency/category,
settings parsing."""

from __future__ import annotations

from apps.support_plugin.glpi import classification, mappers
from apps.support_plugin.glpi.config import from_settings, parse_label_categories


def test_ticket_input_carries_title_marker_and_requester() -> None:
    kind = classification.Classification(type=1, urgency=4, category_id=12)
    fields = mappers.ticket_input(account_id=3, conversation_id=318,
                                  first_message="A <b>fúró</b>\nnem indul", classification=kind,
                                  entity_id=5, requester_user_id=27, requester_email=None)
    assert fields["name"] == "A <b>fúró</b> nem indul"
    assert "&lt;b&gt;fúró&lt;/b&gt;<br>nem indul" in str(fields["content"])
    assert "[kgc-cw-3-c318]" in str(fields["content"])
    assert (fields["type"], fields["urgency"], fields["itilcategories_id"]) == (1, 4, 12)
    assert fields["entities_id"] == 5 and fields["_users_id_requester"] == 27


def test_email_requester_when_there_is_no_user() -> None:
    kind = classification.Classification(type=2, urgency=3)
    fields = mappers.ticket_input(account_id=1, conversation_id=2, first_message="x" * 100,
                                  classification=kind, entity_id=None, requester_user_id=None,
                                  requester_email="a@example.hu")
    assert len(str(fields["name"])) == mappers.TITLE_LENGTH
    assert fields["_users_id_requester"] == 0
    assert fields["_users_id_requester_notif"] == {"use_notification": [1],
                                                   "alternative_email": ["a@example.hu"]}
    assert "entities_id" not in fields and "itilcategories_id" not in fields


def test_markers_never_prefix_each_other() -> None:
    assert mappers.message_marker(1, 9021) not in mappers.message_marker(1, 90211)
    assert mappers.message_marker(1, 5) != mappers.message_marker(2, 5)


def test_followup_input_private_flag_and_marker() -> None:
    fields = mappers.followup_input(ticket_id=7, account_id=1, message_id=99, content="Hi",
                                    sender_type="agent", private=True)
    assert fields["itemtype"] == "Ticket" and fields["items_id"] == 7
    assert fields["is_private"] == 1 and "[kgc-cw-1-m99]" in str(fields["content"])


def test_classification_from_labels_and_priority() -> None:
    kind = classification.from_labels(["Javitas", "surgos"], None, default_type=2,
                                      categories={"javitas": 12})
    assert kind == classification.Classification(1, 4, 12)
    kind = classification.from_labels(["rendeles"], "urgent", default_type=1, categories={})
    assert kind == classification.Classification(2, 5, None)


def test_a_registered_classifier_wins() -> None:
    class Koko:
        def classify(self, conversation):  # type: ignore[no-untyped-def]
            return classification.Classification(2, 2, 9) if conversation.get("intent") else None

    koko = Koko()
    classification.register_classifier(koko)
    try:
        assert classification.classify({"intent": "berles"}, default_type=1,
                                        categories={}).category_id == 9
        assert classification.classify({"labels": []}, default_type=1,
                                       categories={}).type == 1
    finally:
        classification.unregister_classifier(koko)


def test_settings_parsing() -> None:
    assert parse_label_categories("javitas=12, berles = 14,bad,x=y") == {"javitas": 12,
                                                                         "berles": 14}
    settings = from_settings({"glpi_api_url": "http://g/apirest.php", "glpi_user_token": "t",
                              "glpi_requester_kind": "Contact", "glpi_ticket_type": 7,
                              "glpi_entity_id": "3"})
    assert settings.requester_kind == "contact" and settings.ticket_type == 1
    assert settings.entity_id == 3 and settings.is_configured


def test_technician_text_and_status_note() -> None:
    assert mappers.technician_message(5, "<p>Kész&nbsp;van</p><p>Jöhet</p>") == (
        "Kész\xa0van\nJöhet\n\n(GLPI jegy #5)")
    assert mappers.status_note(5, 1, 5) == "GLPI jegy #5 állapota megváltozott: Új → Megoldva"
