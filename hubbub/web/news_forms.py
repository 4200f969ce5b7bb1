"""Forms of the news pages: a story, a comment, a bury, a report.

Like every form here they only parse input; ``news.actions`` holds the
rules (lengths, URL checks, duplicates, who may bury what), so a browser,
hubbub's API and a Mastodon app are held to the same ones.
"""

from typing import Any

from django import forms

from hubbub.moderation.models import Reason
from hubbub.news.models import BuryReason
from hubbub.web.compose import _MAX_ID, promotional_field
from hubbub.web.forms import NoteForm

# characters accepted from a field before the action judges it: generous
# (the action says "too long" with the real limit), but bounded, so a huge
# paste is refused by the form instead of being carried around.
_SLACK = 4


class StoryForm(forms.Form):
    url = forms.CharField(
        label="Link",
        max_length=2048 * _SLACK,
        help_text="The address of the page you are sharing (http or https).",
        widget=forms.URLInput(attrs={"autocomplete": "url", "inputmode": "url"}),
    )
    title = forms.CharField(
        label="Title",
        max_length=1000 * _SLACK,
        help_text="The page's own headline, or a plain description of it.",
    )
    blurb = forms.CharField(
        label="Blurb (optional)",
        required=False,
        strip=False,
        max_length=1000 * _SLACK,
        help_text="A few words on why it is worth reading.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    topic = forms.CharField(
        label="Topic (optional)",
        required=False,
        max_length=100,
        help_text="One short word or phrase with hyphens, like “science” "
        "or “open-source”.",
        widget=forms.TextInput(attrs={"list": "known-topics"}),
    )
    promotional = promotional_field()


class CommentForm(NoteForm):
    """A comment is a note: the same text box, answering the story or one of
    its comments (``in_reply_to``, empty for the story itself)."""

    in_reply_to = forms.IntegerField(
        required=False, min_value=1, max_value=_MAX_ID, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].label = "Add a comment"


class BuryForm(forms.Form):
    reason = forms.ChoiceField(label="Why bury it?", choices=BuryReason.choices)


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label="Why report it?", choices=Reason.choices)
    comment = forms.CharField(
        label="A note for the moderators (optional)",
        required=False,
        max_length=1000 * _SLACK,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ModerationForm(forms.Form):
    reason = forms.CharField(
        label="Reason (shown in the public moderation log)", max_length=1000 * _SLACK
    )
