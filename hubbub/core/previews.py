"""A link's preview card, read from the page's OpenGraph and <title>."""

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

from hubbub.core.safe_http import MAX_URL_LENGTH, parse_http_url

# characters of HTML read for a preview: what fetch returns at most.
MAX_PREVIEW_INPUT = 1_000_000
# characters kept per field; longer values are cut, not refused.
MAX_TITLE = 300
MAX_DESCRIPTION = 1_000
MAX_SITE_NAME = 200
_FEED_SIZE = 65_536

_TITLE_KEYS = ("og:title", "twitter:title")
_DESCRIPTION_KEYS = ("og:description", "twitter:description", "description")
_SITE_KEYS = ("og:site_name", "application-name")
_IMAGE_KEYS = (
    "og:image",
    "og:image:url",
    "og:image:secure_url",
    "twitter:image",
    "twitter:image:src",
)
_META_KEYS = frozenset(_TITLE_KEYS + _DESCRIPTION_KEYS + _SITE_KEYS + _IMAGE_KEYS)


@dataclass(frozen=True, slots=True)
class Preview:
    """A link's card: empty strings (or None for the image) when absent.

    ``image_url`` is absolute and http(s) but not fetched or checked: it
    must go through ``fetch`` like any other URL before use (row B-59).
    """

    title: str = ""
    description: str = ""
    site_name: str = ""
    image_url: str | None = None


class _PreviewParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title: list[str] = []
        self.done = False
        self._in_title = False
        self._title_seen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # The rest of the chunk being fed is still parsed; ignore it.
        if self.done:
            return
        if tag == "meta":
            values = {name.lower(): value or "" for name, value in attrs}
            key = (values.get("property") or values.get("name") or "").strip().lower()
            content = values.get("content", "").strip()
            if key in _META_KEYS and content and key not in self.meta:
                self.meta[key] = content[: MAX_URL_LENGTH + MAX_DESCRIPTION]
        elif tag == "title" and not self._title_seen:
            self._in_title = True
        elif tag == "body":
            # Everything a preview uses belongs in <head>; stop early.
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if self.done:
            return
        if tag == "title" and self._in_title:
            self._in_title = False
            self._title_seen = True
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if (
            self._in_title
            and not self.done
            and sum(map(len, self.title)) < 4 * MAX_TITLE
        ):
            self.title.append(data)


def _clean(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


def _absolute_http_url(value: str, base_url: str) -> str | None:
    try:
        url = urljoin(base_url, value.strip())
        parse_http_url(url)
    except ValueError:
        return None
    return url


def parse_preview(html: str, base_url: str) -> Preview:
    """Read a page's title, description, site name and image for a card.

    OpenGraph first, then Twitter cards, then ``<title>`` and the plain
    description meta. Reads at most MAX_PREVIEW_INPUT characters, stops at
    ``<body>``, and never raises: junk gives an empty or partial preview.
    """
    parser = _PreviewParser()
    text = html[:MAX_PREVIEW_INPUT]
    try:
        for start in range(0, len(text), _FEED_SIZE):
            parser.feed(text[start : start + _FEED_SIZE])
            if parser.done:
                break
        parser.close()
    except Exception:  # any parser error on junk: keep what was read
        parser.done = True

    def first(keys: tuple[str, ...]) -> str:
        return next((parser.meta[k] for k in keys if k in parser.meta), "")

    image = next(
        (
            url
            for key in _IMAGE_KEYS
            if key in parser.meta
            and (url := _absolute_http_url(parser.meta[key], base_url))
        ),
        None,
    )
    return Preview(
        title=_clean(first(_TITLE_KEYS) or "".join(parser.title), MAX_TITLE),
        description=_clean(first(_DESCRIPTION_KEYS), MAX_DESCRIPTION),
        site_name=_clean(first(_SITE_KEYS), MAX_SITE_NAME),
        image_url=image,
    )
