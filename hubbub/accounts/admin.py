"""Accounts in Django's admin: where roles are given.

A staff account is a moderator (``moderation.permissions``) and a
superuser is an admin; both are set on an account's admin page.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from hubbub.accounts.models import Account


@admin.register(Account)
class AccountAdmin(UserAdmin[Account]):
    list_display = (
        "username",
        "display_name",
        "is_staff",
        "is_superuser",
        "is_active",
        "silenced_at",
        "suspended_at",
    )
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("username", "display_name", "email")
    # Suspending and silencing go through the moderation queue, which logs
    # them publicly; here they are shown, not edited.
    readonly_fields = ("silenced_at", "suspended_at", "last_login", "date_joined")
