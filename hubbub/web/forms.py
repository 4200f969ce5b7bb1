"""Forms only parse input; the rules live in the actions."""

from django import forms

from hubbub.accounts.models import (
    BIO_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
    PromotionalPosts,
)
from hubbub.moderation.models import REASON_MAX_LENGTH, Action, Reason


class SignupForm(forms.Form):
    username = forms.CharField(
        max_length=100,
        help_text="Letters a-z, digits and underscores; up to 30.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    display_name = forms.CharField(
        max_length=100,
        required=False,
        help_text="Optional: how your name is shown.",
    )
    password = forms.CharField(
        strip=False,
        help_text="At least 8 characters.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        max_length=DISPLAY_NAME_MAX_LENGTH * 4,
        required=False,
        help_text=f"Up to {DISPLAY_NAME_MAX_LENGTH} characters.",
    )
    bio = forms.CharField(
        max_length=BIO_MAX_LENGTH * 4,
        required=False,
        help_text=f"Up to {BIO_MAX_LENGTH} characters.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    locked = forms.BooleanField(
        label="Approve followers manually",
        required=False,
        help_text=(
            "People ask to follow you, and you approve or reject each request."
            " Turning this off approves everyone waiting."
        ),
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label="What are you doing?",
        strip=False,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why are you reporting it?",
        choices=Reason.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Anything the moderators should know? (optional)",
        max_length=REASON_MAX_LENGTH * 4,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# The queue's actions, as a moderator would ask for them.
MODERATION_CHOICES = [
    (Action.LABEL.value, "Label it promotional"),
    (Action.HIDE.value, "Hide the post"),
    (Action.DELETE.value, "Delete the post"),
    (Action.SILENCE.value, "Silence the account"),
    (Action.SUSPEND.value, "Suspend the account"),
    (Action.DISMISS.value, "Dismiss the report"),
]


class ModerationForm(forms.Form):
    action = forms.ChoiceField(label="Action", choices=MODERATION_CHOICES)
    reason = forms.CharField(
        label="Reason (shown in the public log)",
        max_length=REASON_MAX_LENGTH * 4,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReadingForm(forms.Form):
    quiet_broadcasters = forms.BooleanField(
        label="Quiet broadcasters",
        required=False,
        help_text=(
            "Leave out of your home timeline the accounts whose recent posts"
            " only broadcast: none answered anyone, and nobody answered them."
        ),
    )


class ArticleForm(forms.Form):
    """An article as its author writes it; ``check_content`` holds the rules."""

    title = forms.CharField(strip=False, required=False, max_length=4000)
    source = forms.CharField(
        label="Text (Markdown)",
        strip=False,
        required=False,
        help_text=(
            "Markdown: headings, lists, quotes, code, links and images by URL. "
            "Put <!--more--> where the excerpt on your blog's index should end."
        ),
        widget=forms.Textarea(attrs={"rows": 18}),
    )
    custom_excerpt = forms.CharField(
        label="Excerpt (optional)",
        strip=False,
        required=False,
        help_text=(
            "Plain text shown on indexes when the article has no <!--more--> "
            "marker; without either, its first 50 words are."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    tags = forms.CharField(
        required=False,
        max_length=4000,
        help_text="Up to 10, separated by spaces or commas.",
    )
    publish_at = forms.DateTimeField(
        label="Publish at (UTC, optional)",
        required=False,
        help_text="Leave empty to publish now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class PromotionalPostsForm(forms.Form):
    promotional_posts = forms.ChoiceField(
        label="Posts labelled promotional",
        choices=PromotionalPosts.choices,
        widget=forms.RadioSelect,
    )
