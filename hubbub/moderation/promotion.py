"""The promotional-post detector: cues in a post and in its author's habits.

A post is described by a handful of features — call-to-action phrasing,
offers and prices, urgency, product and event pushes, links to the
author's own or repeatedly linked sites, a history of broadcasting with
almost no replies — and scored by a small logistic model whose weights
``bench/promotion.py`` fits on the training part of
``tests/data/promotional_posts.jsonl`` and writes to ``promotion_model``.
The features are hand-written because a few hundred posts are far too few
to learn a vocabulary from, while the weights are fitted because nobody
tunes thirty of them by hand without fooling themselves. docs/promotion.md
has the measurements.

Everything here is pure: no database, no clock, no network, so the same
text and behaviour always give the same verdict, and a post costs a few
tens of microseconds.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from hubbub.core.text import tokenize
from hubbub.moderation import promotion_model


@dataclass(frozen=True, slots=True)
class Behaviour:
    """What the detector knows about the author beyond this post.

    ``own_domains`` are the sites the author's profile links to;
    ``recent_urls`` the links in their recent posts (``recent_posts`` of
    them, ``recent_replies`` of which answered someone). The zero value
    means "nothing known", and every behaviour feature is then 0.
    """

    own_domains: frozenset[str] = frozenset()
    recent_posts: int = 0
    recent_replies: int = 0
    recent_urls: tuple[str, ...] = ()
    is_reply: bool = False


NOTHING_KNOWN = Behaviour()


def _lexicon(families: dict[str, str]) -> dict[tuple[str, ...], str]:
    """Index each family's phrases (one per line) by their words."""
    return {
        tuple(word.replace("<n>", "0") for word in phrase.split()): family
        for family, phrases in families.items()
        for phrase in phrases.strip().splitlines()
    }


# Each cue family is a list of phrasings, matched on the post's lower-case
# words ("<n>" stands for any number). A feature counts the distinct
# phrasings of its family a post uses (capped), so one cue repeated in
# capitals does not outweigh two different ones. A dictionary of word
# tuples is used instead of one regular expression per family because it
# costs the same however many phrasings there are: about 10 µs a post,
# where the expressions cost 30 times that.
_CUES = _lexicon(
    {
        # Imperatives that ask the reader to spend, sign or click.
        "buy": """
buy now
shop now
order now
order today
order online
order yours
order by
order from
pre-order
preorder
grab yours
grab your copy
grab them
get yours
get your copy
get your tickets
get your free
get it
claim your
claim yours
book now
book yours
book your
book a table
reserve your
secure your
available now
now available
available at
available in
available wherever
wherever books are sold
in stock
back in stock
donate
chip in
shop the
shop local
find it in stores
try them in store
try it
try the new
get the app
get <n>
""",
        "signup": """
sign up
signup
register
register now
registration
enroll
enrol
enrollment
subscribe
join now
join the waitlist
waitlist
join our
join the challenge
join team
join <n>
apply now
apply online
apply for
applications open
rsvp
upgrade
download
free trial
book a free
save your seat
save the date
secure your spot
volunteer
become a
follow us
follow +
enter
intake
now booking
now taking
""",
        "click": """
link in bio
link in profile
click the link
click here
click below
tap the link
details
read the full
read more
learn more
check out our
check out my
see why
hit the bell
like, subscribe
dm me
dm us
dm for
message us
find out
read the interview
👉
👇
⬇️
🔗
""",
        "offer": """
off everything
free shipping
free delivery
free sample
free consultation
free quote
free gift
free swag
free guide
free checklist
free dessert
free drinks
free samples
first bag free
first month is free
use code
with code
promo code
discount
discounts
coupon
clearance
sale
flash sale
deal
deals
payment plans
for the price of
buy one
get one free
half price
cashback
save
prices
rates
""",
        "urgency": """
last chance
last few
last call
today only
weekend only
week only
this weekend only
only <n> spots
only <n> left
<n> spots left
<n> places
few seats left
few spots
limited
limited time
limited edition
limited seats
limited availability
selling fast
going fast
sells out
sell out
sold out
sold-out
while stocks last
while supplies last
ends tonight
ends soon
ends monday
ends friday
ends sunday
closes friday
at midnight
before midnight
don't miss
don't wait
don't forget
hurry
before they're gone
early bird
early-bird
deadline
spaces fill up
spots are limited
few places
""",
        "product": """
our new
my new
new collection
new arrivals
new in
new drop
new flavours
new line
new episode
new video
new single
new album
new course
new book
new ebook
new range
out now
just launched
just dropped
just landed
just restocked
just hit
launching
launch
introducing
is here
are here
is live
is out
our latest
our newest
premium
merch
patreon
kickstarter
etsy
product hunt
giveaway
win a
win an
to win
contest
sponsored
partnered with
affiliate
paid for by
hiring
internship
accelerator
campaign
vote for
endorse
candidate
debut
bestselling
collection
""",
        "event": """
tickets
ticket
webinar
livestream
live stream
masterclass
workshop
bootcamp
summit
expo
conference
retreat
gala
rally
launch party
grand opening
open house
open studio
q&a
town hall
cohort
join us
join me
doors open
booth
stall
seats
venue
festival
live now
tune in
reservations
""",
        # Cues that a post is a person talking, not selling: negative
        # weights once fitted.
        "first_person": """
i
i'm
i've
i'd
i'll
me
my
mine
""",
        "experience": """
went
tried
bought
got
picked up
finished
watched
saw
loved
made
spent
cooked
had
ate
did
came home
honestly
lol
haha
omg
tbh
ugh
whoops
wish me luck
no regrets
my friend
my friend's
my sister
my sister's
my brother
my brother's
my mum
my dad
my partner
my kids
my daughter
my son
my cousin
my nephew
my niece
my parents
anyone
anybody
who's in
who wants
""",
    }
)
_CUE_FAMILIES = (
    "buy",
    "signup",
    "click",
    "offer",
    "urgency",
    "product",
    "event",
    "first_person",
    "experience",
)
# Most phrasings counted per family; a person's voice is there or not.
_CAPS = {"first_person": 1, "experience": 1}
# The longest phrasing, in words.
_MAX_PHRASE = max(len(words) for words in _CUES)
# Words a phrasing can start with: most words of a post start none.
_FIRST_WORDS = frozenset(words[0] for words in _CUES)
_WORD = re.compile(r"[a-z0-9&+'%-]+|[^\sa-z0-9]")
_NUMBER = re.compile(r"\d+")
# A business speaks as "we" and "our"; a person mostly as "I", and "our"
# before these words is a household's, not a company's.
_HOUSEHOLD = frozenset(
    """kid kids son daughter street neighbour neighbours neighbourhood house
    flat garden dog cat family town local mp allotment power choir friends
    friend old uni school""".split()  # noqa: SIM905 (a word list reads best so)
)
_WE = frozenset({"we're", "we've", "we"})
_WE_ACT = frozenset({"launched", "hiring", "giving", "partnered", "delivering"})
# Prices and discounts, which the words alone miss.
_PRICE = re.compile(r"[$€£]\s?\d|\d\s?%|\b\d+p\b|\b\d-for-1\b")
# A promo code is written in capitals: "code SAVE15".
_CODE = re.compile(r"\b[Cc]ode:? [A-Z0-9]{4,}\b")
_MENTION = re.compile(r"(?:^|\s)@\w")
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\u2b50\u2b06\u2b07]")
_CAPS_WORD = re.compile(r"\b[A-Z]{4,}\b")
_AD_TAG = re.compile(r"(?<![\w#])#(?:ad|ads|sponsored|promo|advert)\b", re.IGNORECASE)
_TRACKING = re.compile(
    r"[?&](?:ref|aff|affiliate|tag|utm_\w+|coupon|promo)=|"
    r"//(?:amzn\.to|bit\.ly|fanlink\.to|linktr\.ee|calendly\.com)",
    re.IGNORECASE,
)

# Broadcasting: with at least this many recent posts known, an author who
# answered almost no one is a broadcaster. Below it there is too little
# history to say (a new account posting its third note).
BROADCAST_MIN_POSTS = 10
# Times the same site is linked in recent posts before it counts as the
# author's own (affiliated): a person rarely links one shop three times.
AFFILIATED_REPEATS = 2

FEATURE_NAMES: tuple[str, ...] = (
    *_CUE_FAMILIES,
    "business_voice",
    "question",
    "mention",
    "links",
    "own_domain",
    "repeated_link",
    "broadcaster",
    "hashtags",
    "exclamations",
    "emoji",
    "shouting",
    "ad_tag",
    "tracking_link",
    "reply",
)

# What each feature says about a post, for the label's reason. A bare link
# is left out: it adds to the score, but "links out" explains nothing.
DESCRIPTIONS = {
    "buy": "asks readers to buy or order",
    "signup": "asks readers to sign up or register",
    "click": "asks readers to click through",
    "offer": "advertises a price or offer",
    "urgency": "presses for a quick decision",
    "product": "pushes a product, campaign or launch",
    "event": "pushes tickets or an event",
    "business_voice": "speaks for a business",
    "own_domain": "links to the author's own site",
    "repeated_link": "repeats a link the author keeps posting",
    "broadcaster": "comes from an account that broadcasts and rarely replies",
    "hashtags": "carries many hashtags",
    "exclamations": "is full of exclamation marks",
    "emoji": "leans on emoji",
    "shouting": "shouts in capitals",
    "ad_tag": "is tagged as an advert",
    "tracking_link": "uses a tracking or affiliate link",
}


def site_of(url: str) -> str:
    """Return the host a link points at, lower-cased, without "www."."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _words(text: str) -> list[str]:
    # Every number becomes "0", the lexicon's "<n>".
    lowered = _NUMBER.sub("0", text.lower().replace("\u2019", "'"))
    return _WORD.findall(lowered)


def _cue_counts(words: list[str]) -> dict[str, set[tuple[str, ...]]]:
    """Return the distinct phrasings of each cue family found in ``words``."""
    found: dict[str, set[tuple[str, ...]]] = {}
    for start, word in enumerate(words):
        if word not in _FIRST_WORDS:
            continue
        for end in range(start + 1, min(start + _MAX_PHRASE, len(words)) + 1):
            phrase = tuple(words[start:end])
            family = _CUES.get(phrase)
            if family is not None:
                found.setdefault(family, set()).add(phrase)
    return found


def _business_voice(words: list[str]) -> float:
    voice = 0
    for i, word in enumerate(words[:-1]):
        after = words[i + 1]
        company_our = word == "our" and after not in _HOUSEHOLD
        company_we = word in _WE and (
            after in _WE_ACT or words[i + 2 : i + 3] == ["launched"]
        )
        voice += company_our or company_we
    return float(min(voice, 3))


def features(text: str, behaviour: Behaviour = NOTHING_KNOWN) -> list[float]:
    """Return the post's features, in FEATURE_NAMES order."""
    urls = [t.value for t in tokenize(text) if t.kind == "url"]
    domains = {site_of(url) for url in urls} - {""}
    # Cues are read from the words, not the links, so a shop called
    # "order-now.example" is judged by what its post says.
    prose = text
    for url in urls:
        prose = prose.replace(url, " ")
    words = _words(prose)
    cues = _cue_counts(words)
    counts = {family: len(cues.get(family, ())) for family in _CUE_FAMILIES}
    counts["offer"] += len(_PRICE.findall(prose)) + bool(_CODE.search(prose))
    values = [
        float(min(counts[family], _CAPS.get(family, 3))) for family in _CUE_FAMILIES
    ]
    recent = Counter(site_of(url) for url in behaviour.recent_urls)
    own = domains & behaviour.own_domains
    repeats = max((recent[d] for d in domains), default=0)
    known = behaviour.recent_posts >= BROADCAST_MIN_POSTS
    reply_share = behaviour.recent_replies / max(1, behaviour.recent_posts)
    values += [
        _business_voice(words),
        1.0 if "?" in prose else 0.0,
        1.0 if _MENTION.search(prose) else 0.0,
        float(min(len(urls), 2)),
        1.0 if own else 0.0,
        min(1.0, repeats / 3) if repeats >= AFFILIATED_REPEATS else 0.0,
        max(0.0, 1.0 - reply_share / 0.2) if known else 0.0,
        float(min(text.count("#"), 4)) / 2,
        float(min(text.count("!"), 3)),
        float(min(len(_EMOJI.findall(prose)), 3)),
        float(min(len(_CAPS_WORD.findall(prose)), 2)),
        1.0 if _AD_TAG.search(text) else 0.0,
        1.0 if any(_TRACKING.search(url) for url in urls) else 0.0,
        1.0 if behaviour.is_reply else 0.0,
    ]
    return values


def score(text: str, behaviour: Behaviour = NOTHING_KNOWN) -> float:
    """Return the model's probability (0 to 1) that the post is promotional."""
    return _probability(features(text, behaviour))


def _probability(values: list[float]) -> float:
    z = promotion_model.BIAS + sum(
        w * x for w, x in zip(promotion_model.WEIGHTS, values, strict=True)
    )
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@dataclass(frozen=True, slots=True)
class Verdict:
    """The detector's answer about one post, with the reason to show."""

    promotional: bool
    score: float
    reason: str


def detect(text: str, behaviour: Behaviour = NOTHING_KNOWN) -> Verdict:
    """Score a post against the operating threshold and say why.

    The reason names the (at most two) cues that added most to the score.
    """
    values = features(text, behaviour)
    probability = _probability(values)
    contributions = sorted(
        (
            (w * x, name)
            for w, x, name in zip(
                promotion_model.WEIGHTS, values, FEATURE_NAMES, strict=True
            )
            if w * x > 0 and name in DESCRIPTIONS
        ),
        reverse=True,
    )
    cues = [DESCRIPTIONS[name] for _, name in contributions[:2]]
    reason = "Automatic: " + (" and ".join(cues) if cues else "reads like an advert")
    return Verdict(
        promotional=probability >= promotion_model.THRESHOLD,
        score=probability,
        reason=reason,
    )
