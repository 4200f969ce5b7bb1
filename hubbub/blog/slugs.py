"""Article titles, and the cosmetic slugs made from them.

An article's URL resolves on its id; the slug only helps a reader and is
redirected when it changes (Lobsters' ``/s/<id>/<slug>``), so a slug needs
to be readable and inert, not unique.
"""

import unicodedata

import regex
from django.core.exceptions import ValidationError
from django.utils.text import slugify

# WriteFreely's length for slugs made from titles.
MAX_SLUG_CHARS = 80
FALLBACK_SLUG = "article"
MAX_TITLE_CHARS = 200
# Zalgo stops here: one grapheme can hold hundreds of combining marks.
MAX_TITLE_CODE_POINTS = 1_000

# Anything between words (slashes, dots, colons) separates them, so
# "../../etc" is "etc" and "v1.2" is "v1-2"; apostrophes join ("dont").
_SEPARATORS = regex.compile(r"[^A-Za-z0-9\s'-]+")
_GRAPHEME = regex.compile(r"\X")
# Controls (NUL, newline, tab), lone surrogates (which the database cannot
# store), line and paragraph separators, and the bidi embeddings, overrides
# and isolates that can reorder the text around a title (Trojan Source).
_FORBIDDEN = regex.compile(r"[\p{Cc}\p{Cs}\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_BLANK = regex.compile(r"[\s\u200b-\u200d\u2060\ufeff]*")


def slugify_title(title: str) -> str:
    """Return an ASCII slug for ``title``: never empty, at most 80 characters.

    Letters are folded to ASCII (NFKD: "é" is "e", full-width and
    mathematical letters become plain ones); what has no ASCII form
    (Cyrillic look-alikes, emoji, bidi controls, CJK) is dropped. A long
    slug is cut at a hyphen. A title with nothing left is "article".
    """
    folded = unicodedata.normalize("NFKD", title)
    ascii_title = folded.encode("ascii", "ignore").decode("ascii")
    slug = slugify(_SEPARATORS.sub(" ", ascii_title), allow_unicode=False)
    if len(slug) > MAX_SLUG_CHARS:
        cut = slug.rfind("-", 0, MAX_SLUG_CHARS + 1)
        slug = slug[:cut] if cut > 0 else slug[:MAX_SLUG_CHARS]
    return slug.strip("-_") or FALLBACK_SLUG


def check_title(title: str) -> str:
    """Return ``title`` trimmed, or raise ValidationError saying why.

    A title is 1 to ``MAX_TITLE_CHARS`` characters (grapheme clusters, as
    notes are counted) after trimming, at most ``MAX_TITLE_CODE_POINTS``
    code points, and holds no control characters.
    """
    title = title.strip()
    if found := _FORBIDDEN.search(title):
        raise ValidationError(
            "A title can't contain control characters (found U+%(code)s).",
            code="invalid",
            params={"code": f"{ord(found[0]):04X}"},
        )
    if _BLANK.fullmatch(title):
        raise ValidationError("A title can't be blank.", code="blank")
    if len(title) > MAX_TITLE_CODE_POINTS:
        raise ValidationError(
            "A title can be at most %(limit)s code points long.",
            code="too_long",
            params={"limit": f"{MAX_TITLE_CODE_POINTS:,}"},
        )
    length = len(_GRAPHEME.findall(title))
    if length > MAX_TITLE_CHARS:
        raise ValidationError(
            "A title can be at most %(limit)s characters long; "
            "this one has %(length)s.",
            code="too_long",
            params={"limit": MAX_TITLE_CHARS, "length": length},
        )
    return title
