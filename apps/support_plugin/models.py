"""Django finds an app's models in `<app>/models.py`: each connector keeps its own in its
package (`chatwoot/models.py`), and they are registered under this app's label here."""

from apps.support_plugin.chatwoot.models import ChatwootAccount, ConversationLink, NotificationSent

__all__ = ("ChatwootAccount", "ConversationLink", "NotificationSent")
