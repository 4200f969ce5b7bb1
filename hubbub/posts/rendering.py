"""Turn a post's source text into its stored HTML."""

from django.db.models.functions import Lower
from django.urls import reverse

from hubbub.accounts.models import Account
from hubbub.core.html import render_note
from hubbub.core.text import Token, tokenize


def render_text(text: str) -> str:
    """Render ``text`` with links, local mentions and tags, sanitised.

    Mentions of handles that exist here link to the profile; the rest stay
    plain text. One query resolves every mention in the text.
    """
    wanted = {
        t.value.lower() for t in tokenize(text) if t.kind == "mention" and not t.domain
    }
    known = (
        set(
            Account.objects.annotate(handle=Lower("username"))
            .filter(handle__in=wanted, is_active=True)
            .values_list("username", flat=True)
        )
        if wanted
        else set()
    )
    handles = {name.lower(): name for name in known}

    def mention_url(token: Token) -> str | None:
        name = handles.get(token.value.lower())
        if token.domain or name is None:
            return None
        return reverse("web:profile", args=[name])

    return render_note(text, mention_url=mention_url)
