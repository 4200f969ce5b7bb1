"""The composer's form: a note, who may see it and the note it answers.

Like every form here it only parses input; ``publish_note`` holds the rules.
"""

from django import forms

from hubbub.posts.models import Post, Visibility
from hubbub.web.forms import NoteForm

# Ids are positive 64-bit integers.
_MAX_ID = 2**63 - 1


def promotional_field() -> forms.BooleanField:
    """The author's "this is promotional" box, for notes and stories."""
    return forms.BooleanField(
        label="This is promotional",
        required=False,
        help_text=(
            "Tick it for an advert, a sponsored post or anything you are"
            " paid or hoping to sell with. Readers choose whether to see"
            " promotional posts."
        ),
    )


class ComposeForm(NoteForm):
    visibility = forms.ChoiceField(
        label="Who can see it",
        choices=Visibility.choices,
        initial=Visibility.PUBLIC,
        required=False,
    )
    promotional = promotional_field()
    in_reply_to = forms.IntegerField(
        required=False, min_value=1, max_value=_MAX_ID, widget=forms.HiddenInput
    )

    def clean_visibility(self) -> str:
        # A client that sends no visibility (an older form, a script) posts
        # publicly, as before the select existed.
        return str(self.cleaned_data["visibility"] or Visibility.PUBLIC)


def reply_form(reply_to: Post, handles: list[str]) -> ComposeForm:
    """Return a fresh form that answers ``reply_to``.

    It starts with everyone in the exchange addressed (``handles``, from
    ``reply_handles``) and the note's own visibility, both editable.
    """
    initial = {
        "text": "".join(f"@{handle} " for handle in handles),
        "visibility": reply_to.visibility,
        "in_reply_to": reply_to.id,
    }
    return as_reply(ComposeForm(initial=initial), reply_to)


def as_reply(form: ComposeForm, reply_to: Post) -> ComposeForm:
    """Label ``form`` as the answer to ``reply_to``."""
    label = f"Reply to @{reply_to.author.username}"
    # A validated form has made its bound fields already; label both.
    form.fields["text"].label = form["text"].label = label
    return form
