"""Customer order signals, sent inside the transaction that made the change (`order`)."""

from django.dispatch import Signal

order_arrived = Signal()
order_delivered = Signal()
