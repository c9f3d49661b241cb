"""Service worklog signals, sent inside the transaction that made the change.

`worklog_status_changed` carries `worklog`, `old_status` and `new_status`.
"""

from django.dispatch import Signal

worklog_status_changed = Signal()
