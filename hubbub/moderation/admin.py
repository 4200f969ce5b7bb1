"""The moderation models in Django's admin, for admins to inspect."""

from django.contrib import admin

from hubbub.moderation.models import LogEntry, Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin[Report]):
    list_display = ("id", "reason", "account", "post", "reporter", "resolved_at")
    list_filter = ("reason",)
    raw_id_fields = ("reporter", "account", "post", "resolved_by")


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin[LogEntry]):
    """The log is written by actions only: the admin reads it."""

    list_display = ("id", "created_at", "action", "account", "moderator", "reason")
    list_filter = ("action",)
    raw_id_fields = ("moderator", "account", "post")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
