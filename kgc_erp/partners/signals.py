"""Domain signals of partners beyond Django's post_save / post_delete."""

from django.dispatch import Signal

# Sent inside the erasure transaction with `partner` (already anonymised) and
# `erased_fields`. Receivers must remove every copy of the person's data elsewhere.
partner_erased = Signal()
