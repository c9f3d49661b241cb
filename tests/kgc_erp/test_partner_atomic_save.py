"""A partner save and whatever its post_save receivers write (outbox events) commit together,
even when the caller did not open a transaction."""

import pytest
from django.db.models.signals import post_save

from kgc_erp.partners.models import Partner
from tests.factories import headquarters


class ReceiverFailed(Exception):
    pass


# serialized_rollback: the flush after a transactional test would drop the migrated
# headquarters tenant that later tests rely on.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_failing_receiver_rolls_back_a_save_made_outside_any_transaction():
    def failing_receiver(sender, instance, **kwargs):
        raise ReceiverFailed

    post_save.connect(failing_receiver, sender=Partner)
    try:
        with pytest.raises(ReceiverFailed):
            Partner(tenant=headquarters(), name="Félbehagyott Ferenc", phone="06301112233").save()
    finally:
        post_save.disconnect(failing_receiver, sender=Partner)
    assert not Partner.objects.filter(name="Félbehagyott Ferenc").exists()
