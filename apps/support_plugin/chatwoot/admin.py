"""Admin of the support plugin's Chatwoot records (read-mostly; secrets never shown)."""

from __future__ import annotations

from django.contrib import admin

from .models import ChatwootAccount, ConversationLink, NotificationSent


@admin.register(ChatwootAccount)
class ChatwootAccountAdmin(admin.ModelAdmin):
    list_display = ("tenant", "account_id", "inbox_id", "webhook_id", "updated_at")
    search_fields = ("tenant__name", "tenant__slug")
    exclude = ("api_token_encrypted", "webhook_secret_encrypted", "widget_hmac_token_encrypted")
    readonly_fields = ("account_id", "inbox_id", "agent_user_id", "agent_email", "webhook_id",
                       "webhook_url", "dashboard_app_id", "created_at", "updated_at")


@admin.register(ConversationLink)
class ConversationLinkAdmin(admin.ModelAdmin):
    list_display = ("conversation_id", "account_id", "tenant", "worklog", "status", "updated_at")
    list_filter = ("status",)
    search_fields = ("worklog__number", "conversation_id")
    raw_id_fields = ("worklog",)


@admin.register(NotificationSent)
class NotificationSentAdmin(admin.ModelAdmin):
    list_display = ("kind", "object_type", "object_id", "conversation_id", "created_at")
    list_filter = ("kind",)
    search_fields = ("object_id",)

    def has_add_permission(self, request: object) -> bool:
        return False
