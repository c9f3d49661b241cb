"""manage.py koko_eval IN OUT: one decision line per message line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_writes_one_line_per_message_in_the_agreed_format(kb: object, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    messages = [
        {"id": "m1", "text": "Mennyi a kaució?"},
        {"id": "m2", "text": "Ügyvédhez fordulok, ha nem fizetnek!"},
        {"id": "m3", "text": ""},
        {"id": 4, "text": "😀"},
        {"id": "m5", "text": "gyori uzlet nyitvatartasa"},
    ]
    source.write_text("\n".join(json.dumps(m, ensure_ascii=False) for m in messages) + "\n\n",
                      encoding="utf-8")
    target = tmp_path / "out.jsonl"

    call_command("koko_eval", str(source), str(target))

    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["m1", "m2", "m3", 4, "m5"]
    for row in rows:
        assert set(row) == {"id", "intent", "route", "confidence", "kb_ids"}
        assert row["intent"] in {"berles", "szerviz", "ertekesites", "general"}
        assert row["route"] in {"auto", "approval", "escalate"}
        assert isinstance(row["confidence"], float) and 0.0 <= row["confidence"] <= 1.0
        assert isinstance(row["kb_ids"], list)
    by_id = {r["id"]: r for r in rows}
    assert by_id["m1"]["kb_ids"] == ["kb-018"] and by_id["m1"]["intent"] == "berles"
    assert by_id["m2"]["route"] == "escalate"
    assert by_id["m3"]["route"] == "escalate" and by_id["m3"]["kb_ids"] == []
    assert by_id[4]["route"] == "escalate"
    assert by_id["m5"]["kb_ids"] == ["kb-003"]


def test_refuses_a_line_that_is_not_json(kb: object, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "ok", "text": "Szia"}\nnot json\n', encoding="utf-8")
    with pytest.raises(CommandError, match="line 2"):
        call_command("koko_eval", str(source), str(tmp_path / "out.jsonl"))
