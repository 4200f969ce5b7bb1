"""Forms only parse input; the rules live in the actions."""

from django import forms

from hubbub.accounts.models import (
    BIO_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
    PromotionalPosts,
)


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


class PromotionalPostsForm(forms.Form):
    promotional_posts = forms.ChoiceField(
        label="Posts labelled promotional",
        choices=PromotionalPosts.choices,
        widget=forms.RadioSelect,
    )
