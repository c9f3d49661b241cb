"""Rental lifecycle signals, sent inside the transaction that made the change.

Every signal carries `rental`. Receivers run in that transaction, so whatever they write
commits or rolls back together with the rental.
"""

from django.dispatch import Signal

rental_started = Signal()
rental_completed = Signal()
rental_late = Signal()
# Sent once a day (by the beat task) for each open rental due tomorrow: a reminder hook.
rental_due_tomorrow = Signal()
