"""Articles' Markdown, rendered to HTML that is safe to show as it is.

Two layers keep the output safe. markdown-it-py runs with raw HTML off, so
``<script>`` in the source is text, and it refuses links that are not
absolute http(s) or mailto URLs, leaving them as text too. nh3 then reduces
whatever the renderer wrote to an explicit allowlist, so a mistake in the
first layer cannot reach a page.

Three limits bound the cost of any input (times in docs/blog-rendering.md):

* sources above ``MAX_SOURCE_CHARS`` are refused before parsing;
* blockquotes and lists nest at most ``MAX_BLOCK_DEPTH`` deep; deeper
  markers stay literal text instead of recursing;
* parsing spends at most ``WORK_BUDGET`` units of work, counted as it
  goes. Size alone does not bound the time: markdown-it-py spends ~2 s on
  40 KB of ``![`` and ~9 s on 100,000 one-word list items, so a source that
  would cost more than about twice a typical 1 MB article is refused as
  too complex, whatever its size.
"""

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any

import nh3
import regex
from django.core.exceptions import ValidationError
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.ruler import Ruler
from markdown_it.rules_core.state_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

# A long novel is ~1 MB; no article needs more.
MAX_SOURCE_CHARS = 1_000_000
# markdown-it's own guard: past this many open tokens it skips the rest of a
# block (dropping it) and leaves inline markup as text.
MAX_NESTING = 20
# Blockquotes and lists stop nesting here, below MAX_NESTING, so their
# markers turn into text before markdown-it would drop content. A list level
# costs two (list and item), a blockquote one, the paragraph inside one.
MAX_BLOCK_DEPTH = 16
# Work units, weighted to cost about the same time each (~1-2 µs; measured
# in docs/blog-rendering.md): a parser rule call is one, a block token six,
# an inline token three and ten characters of source one. Tokens weigh more
# because each is also rendered and sanitised. A typical 1 MB article
# (prose, lists, code, quotes, tables) spends ~0.5 million.
CALL_COST = 1
BLOCK_TOKEN_COST = 6
INLINE_TOKEN_COST = 3
CHARS_PER_UNIT = 10
WORK_BUDGET = 1_000_000

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "ul", "ol", "li", "blockquote", "pre", "code", "em", "strong", "s",
    "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "code": {"class"},
    "th": {"style"},
    "td": {"style"},
}
_URL_SCHEMES = {"http", "https", "mailto"}
_LINK = regex.compile(r"(?i)(?:https?://|mailto:)\S")
_IMAGE = regex.compile(r"(?i)https?://\S")
# Fenced code's info string becomes ``class="language-…"``; nothing else.
_LANGUAGE_CLASS = regex.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
_BUDGET = "hubbub_work_budget"

Rule = Callable[..., bool]


class _Budget:
    """Work units left for one parse; raises once they run out."""

    __slots__ = ("left",)

    def __init__(self, units: int) -> None:
        self.left = units

    def spend(self, units: int) -> None:
        self.left -= units
        if self.left < 0:
            raise ValidationError(
                "This article is too complex to render. Split very long "
                "lists or tables, or remove runs of Markdown punctuation.",
                code="too_complex",
            )


class _BudgetedTokens(list[Token]):
    """A token stream that charges the budget for every token added.

    Counting rule calls alone is not enough: the table rule writes a whole
    table in one call, and the emphasis rule one token per ``*`` of a run.
    """

    def __init__(self, budget: _Budget, cost: int) -> None:
        super().__init__()
        self.budget = budget
        self.cost = cost

    def append(self, token: Token) -> None:
        self.budget.spend(self.cost)
        super().append(token)


class _Markdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # noqa: N802 (markdown-it's name)
        """Allow only absolute http(s) and mailto links; others stay text.

        Relative links would point elsewhere once an article is federated,
        and every other scheme (javascript:, data:, vbscript:) is a risk.
        """
        return _LINK.match(url) is not None


def _charged(rule: Rule, *, depth_limited: bool = False) -> Rule:
    """Wrap a parser rule so every call spends one unit of work.

    A ``depth_limited`` rule (blockquote, list) also declines to open a
    block deeper than ``MAX_BLOCK_DEPTH``, leaving its marker as text.
    """

    def wrapped(state: Any, *args: Any) -> bool:
        budget: _Budget = state.env[_BUDGET]
        budget.spend(CALL_COST)
        if depth_limited and state.level >= MAX_BLOCK_DEPTH:
            return False
        return rule(state, *args)

    return wrapped


def _charge_rules(ruler: Ruler[Any], depth_limited: set[str]) -> None:
    for rule in list(ruler.__rules__):
        charged = _charged(rule.fn, depth_limited=rule.name in depth_limited)
        ruler.at(rule.name, charged, {"alt": rule.alt})


def _parse_inline(state: StateCore) -> None:
    """Parse each block's inline content, as markdown-it does, on budget."""
    budget: _Budget = state.env[_BUDGET]
    for token in state.tokens:
        if token.type == "inline":
            token.children = _BudgetedTokens(budget, INLINE_TOKEN_COST)
            state.md.inline.parse(token.content, state.md, state.env, token.children)


def _render_image(
    self: RendererHTML,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    """Render an image by http(s) URL, lazily; any other image as its alt."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    if _IMAGE.match(src) is None:
        return escapeHtml(self.renderInlineAsText(token.children, options, env))
    token.attrSet("loading", "lazy")
    return self.image(tokens, idx, options, env)


def _build_parser() -> MarkdownIt:
    md = _Markdown("commonmark", {"html": False, "maxNesting": MAX_NESTING})
    md.enable(["table", "strikethrough"])
    md.disable(["html_block", "html_inline"])
    _charge_rules(md.block.ruler, {"blockquote", "list"})
    _charge_rules(md.inline.ruler, set())
    md.core.ruler.at("inline", _parse_inline)
    md.add_render_rule("image", _render_image)
    return md


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    # nh3 swallows exceptions from here, so nothing in it may raise.
    if element == "code" and attribute == "class":
        return value if _LANGUAGE_CLASS.fullmatch(value) else None
    if element == "img" and attribute == "src":
        return value if _IMAGE.match(value) else None
    return value


_PARSER = _build_parser()
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    attributes=_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    link_rel="nofollow noopener noreferrer",
    set_tag_attribute_values={"img": {"loading": "lazy"}},
    url_schemes=_URL_SCHEMES,
    url_relative="deny",
    # Table cells carry their alignment as style="text-align: …".
    filter_style_properties={"text-align"},
)


def check_source_size(source: str) -> None:
    """Raise ValidationError when ``source`` is too long to render."""
    if len(source) > MAX_SOURCE_CHARS:
        raise ValidationError(
            "An article can be at most %(limit)s characters long; "
            "this one has %(length)s.",
            code="too_long",
            params={
                "limit": f"{MAX_SOURCE_CHARS:,}",
                "length": f"{len(source):,}",
            },
        )


def parse_markdown(
    source: str, env: MutableMapping[str, Any] | None = None
) -> list[Token]:
    """Return markdown-it's tokens for ``source``, parsed as articles are.

    ``env`` is markdown-it's environment: link reference definitions in
    ``source`` are added to ``env["references"]``, and those already there
    resolve links in ``source`` too. Raises ValidationError when ``source``
    is above ``MAX_SOURCE_CHARS`` or would cost more than ``WORK_BUDGET``.
    """
    check_source_size(source)
    env = {} if env is None else env
    budget = _Budget(WORK_BUDGET)
    budget.spend(len(source) // CHARS_PER_UNIT)
    env[_BUDGET] = budget
    try:
        state = StateCore(source, _PARSER, env)
        state.tokens = _BudgetedTokens(budget, BLOCK_TOKEN_COST)
        _PARSER.core.process(state)
    finally:
        del env[_BUDGET]
    return state.tokens


def sanitise_html(html: str) -> str:
    """Reduce ``html`` to the article allowlist."""
    return _CLEANER.clean(html)


def render_markdown(source: str, *, references: Mapping[str, Any] | None = None) -> str:
    """Render an article's Markdown to sanitised HTML.

    ``references`` are link reference definitions from a larger document
    (``env["references"]`` after ``parse_markdown``), for rendering a part
    of it. Raises ValidationError when ``source`` is above
    ``MAX_SOURCE_CHARS`` or too complex to render in bounded time; any
    other input renders.
    """
    env: dict[str, Any] = {"references": dict(references or {})}
    tokens = parse_markdown(source, env)
    return sanitise_html(_PARSER.renderer.render(tokens, _PARSER.options, env))
