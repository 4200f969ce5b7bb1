"""Read a post's source text: whom it mentions, its tags and its stored HTML.

``parse_text`` resolves mentions once; ``publish_note`` stores the Mention
and Tag rows from that result and ``render_text`` links the same handles,
so the HTML and the rows can never disagree about who was mentioned.
"""

import unicodedata
from dataclasses import dataclass, field

from django.db.models.functions import Lower
from django.urls import reverse

from hubbub.accounts.models import Account
from hubbub.core.html import render_note
from hubbub.core.text import Token, tokenize

# Tag.name and Tag.display are 100 characters; a longer tag stays text.
TAG_MAX_LENGTH = 100


def tag_name(text: str) -> str:
    """Return the name a tag is matched by: lower-cased, NFC.

    Normalising before and after lower-casing makes "#Café" typed with a
    combining accent and "#café" typed precomposed the same tag.
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).lower())


@dataclass(frozen=True, slots=True)
class ParsedText:
    """A note's tokens, with its mentions resolved to accounts here."""

    tokens: list[Token]
    # Lower-cased handle -> the active local account it names.
    mentions: dict[str, Account] = field(default_factory=dict)
    # Tag name (see ``tag_name``) -> the tag as first written in this text.
    tags: dict[str, str] = field(default_factory=dict)

    def mentioned(self, token: Token) -> Account | None:
        """Return the account a mention token names, or None (it stays text)."""
        if token.kind != "mention" or token.domain:
            return None
        return self.mentions.get(token.value.lower())


def parse_text(text: str) -> ParsedText:
    """Tokenise ``text`` and resolve its local mentions in one query.

    A mention resolves when its handle (any case) names an active account
    here; remote mentions and unknown handles stay plain text.
    """
    tokens = tokenize(text)
    wanted = {t.value.lower() for t in tokens if t.kind == "mention" and not t.domain}
    found: dict[str, Account] = {}
    if wanted:
        people = Account.objects.annotate(handle=Lower("username")).filter(
            handle__in=wanted, is_active=True
        )
        found = {account.username.lower(): account for account in people}
    # In the order the text names them, so replies can address them so too.
    mentions = {
        handle: found[handle]
        for t in tokens
        if t.kind == "mention" and not t.domain and (handle := t.value.lower()) in found
    }
    tags: dict[str, str] = {}
    for token in tokens:
        if token.kind == "tag" and len(token.value) <= TAG_MAX_LENGTH:
            tags.setdefault(tag_name(token.value), token.value)
    return ParsedText(tokens=tokens, mentions=mentions, tags=tags)


def render_text(text: str, *, parsed: ParsedText | None = None) -> str:
    """Render ``text`` with links, local mentions and tags, sanitised.

    Mentions of handles that exist here link to the profile; the rest stay
    plain text. Pass ``parsed`` when the caller has it already, so mentions
    are not resolved twice.
    """
    parsed = parsed if parsed is not None else parse_text(text)

    def mention_url(token: Token) -> str | None:
        account = parsed.mentioned(token)
        return reverse("web:profile", args=[account.username]) if account else None

    def tag_url(value: str) -> str:
        return reverse("web:tag", args=[tag_name(value)])

    return render_note(text, mention_url=mention_url, tag_url=tag_url)
