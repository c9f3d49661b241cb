from decimal import Decimal

import pytest

from kgc_erp.service.models import Worklog
from kgc_erp.service.services import ALLOWED_TRANSITIONS, change_worklog_status
from kgc_erp.service.signals import worklog_status_changed
from kgc_erp.state_machine import InvalidTransition
from tests.factories import open_worklog

pytestmark = pytest.mark.django_db
S = Worklog.Status


@pytest.fixture
def changes():
    captured: list[tuple[str, str]] = []

    def receiver(sender, worklog, old_status, new_status, **kwargs):
        captured.append((old_status, new_status))

    worklog_status_changed.connect(receiver)
    yield captured
    worklog_status_changed.disconnect(receiver)


def _walk_to(worklog: Worklog, path: list[str]) -> Worklog:
    for status in path:
        worklog = change_worklog_status(worklog, status, quote_amount=Decimal("15000"))
    return worklog


PATHS_TO = {
    S.RECEIVED: [],
    S.DIAGNOSIS: [S.DIAGNOSIS],
    S.QUOTE: [S.DIAGNOSIS, S.QUOTE],
    S.REPAIR: [S.DIAGNOSIS, S.REPAIR],
    S.DONE: [S.DIAGNOSIS, S.REPAIR, S.DONE],
    S.HANDED_OVER: [S.DIAGNOSIS, S.REPAIR, S.DONE, S.HANDED_OVER],
}


@pytest.mark.parametrize(
    ("current", "target"),
    [(c, t) for c in S.values for t in S.values if t in ALLOWED_TRANSITIONS[c]],
)
def test_allowed_transition_is_applied_and_signalled(current, target, changes):
    worklog = _walk_to(open_worklog(), PATHS_TO[current])
    changes.clear()
    changed = change_worklog_status(worklog, target, quote_amount=Decimal("15000"))
    assert changed.status == target
    assert changes == [(current, target)]
    assert changed.timeline.filter(text__contains="→").exists()


@pytest.mark.parametrize(
    ("current", "target"),
    [(c, t) for c in S.values for t in S.values if t not in ALLOWED_TRANSITIONS[c]],
)
def test_refused_transition_changes_nothing(current, target, changes):
    worklog = _walk_to(open_worklog(), PATHS_TO[current])
    changes.clear()
    with pytest.raises(InvalidTransition):
        change_worklog_status(worklog, target, quote_amount=Decimal("15000"))
    worklog.refresh_from_db()
    assert worklog.status == current
    assert changes == []


def test_received_cannot_jump_to_handed_over():
    with pytest.raises(InvalidTransition):
        change_worklog_status(open_worklog(), S.HANDED_OVER)


def test_quote_needs_an_amount():
    worklog = change_worklog_status(open_worklog(), S.DIAGNOSIS)
    with pytest.raises(InvalidTransition):
        change_worklog_status(worklog, S.QUOTE)


def test_quote_acceptance_is_recorded():
    accepted = _walk_to(open_worklog(), [S.DIAGNOSIS, S.QUOTE, S.REPAIR])
    declined = _walk_to(open_worklog(), [S.DIAGNOSIS, S.QUOTE, S.DONE])
    assert accepted.quote_accepted is True
    assert declined.quote_accepted is False
    assert declined.completed_at is not None
    assert declined.can_pickup


def test_open_worklog_numbers_and_timeline():
    worklog = open_worklog()
    assert worklog.number.startswith("M-") and worklog.number.endswith("-0001")
    assert worklog.status == S.RECEIVED
    assert worklog.timeline.count() == 1
