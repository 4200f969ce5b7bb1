"""The shapes of Mastodon's entities, for the OpenAPI document.

Views render entities as dicts (``serializers``) and never validate them
against these models at run time, which would cost more than rendering;
the schemathesis test checks that the two agree.
"""

from typing import Any

from ninja import Schema
from pydantic import Field


class Error(Schema):
    """Every error: ``{"error": "…"}``."""

    error: str


class OAuthError(Schema):
    """An OAuth error (RFC 6749 §5.2)."""

    error: str
    error_description: str | None = None


class Empty(Schema):
    """An empty object, for calls that return nothing (``{}``)."""


class ProfileField(Schema):
    """A profile field."""

    name: str
    value: str
    verified_at: str | None


class ConversationSignal(Schema):
    """hubbub: how the account's recent public posts split (see
    accounts.signal): exchanges drew a reply from someone else, replies
    answered someone else unanswered, broadcasts did neither."""

    recent_posts: int
    exchanges: int
    replies: int
    broadcasts: int
    only_broadcasts: bool


class AccountExtension(Schema):
    """hubbub's own fields on an account (clients ignore unknown keys)."""

    conversation: ConversationSignal


class Account(Schema):
    """Account."""

    id: str
    username: str
    acct: str
    display_name: str
    locked: bool
    bot: bool
    group: bool
    discoverable: bool | None
    indexable: bool
    hide_collections: bool
    created_at: str
    note: str
    url: str
    uri: str
    avatar: str
    avatar_static: str
    header: str
    header_static: str
    followers_count: int
    following_count: int
    statuses_count: int
    last_status_at: str | None
    emojis: list[dict[str, Any]]
    fields: list[ProfileField]
    hubbub: AccountExtension


class AccountSource(Schema):
    """What only the account itself sees of its settings."""

    privacy: str
    sensitive: bool
    language: str | None
    note: str
    fields: list[ProfileField]
    follow_requests_count: int


class CredentialAccount(Account):
    """Account plus its ``source``."""

    source: AccountSource


class Filter(Schema):
    """A filter a status matched (in a FilterResult, without its rules)."""

    id: str
    title: str
    context: list[str]
    expires_at: str | None
    filter_action: str


class FilterResult(Schema):
    """Why a status is filtered for this reader: clients collapse it behind
    ``filter.title`` when ``filter_action`` is "warn"."""

    filter: Filter
    keyword_matches: list[str] | None
    status_matches: list[str] | None


class Status(Schema):
    """Status."""

    id: str
    uri: str
    url: str | None
    created_at: str
    edited_at: str | None
    account: Account
    content: str
    visibility: str
    sensitive: bool
    spoiler_text: str
    in_reply_to_id: str | None
    in_reply_to_account_id: str | None
    reblog: "Status | None"
    language: str | None
    replies_count: int
    reblogs_count: int
    favourites_count: int
    mentions: list[dict[str, Any]]
    tags: list[dict[str, Any]]
    emojis: list[dict[str, Any]]
    media_attachments: list[dict[str, Any]]
    card: dict[str, Any] | None
    poll: dict[str, Any] | None
    favourited: bool | None = None
    reblogged: bool | None = None
    muted: bool | None = None
    bookmarked: bool | None = None
    pinned: bool | None = None
    filtered: list[FilterResult] | None = None


class Context(Schema):
    """The statuses above and below one status."""

    ancestors: list[Status]
    descendants: list[Status]


class Notification(Schema):
    """Notification."""

    id: str
    type: str
    created_at: str
    group_key: str
    account: Account
    status: Status | None = None


class TagDay(Schema):
    """A tag's use on one day; Mastodon sends the numbers as strings."""

    day: str = Field(description="Midnight UTC, in UNIX seconds.")
    uses: str = Field(description="Public statuses with the tag that day.")
    accounts: str = Field(description="Accounts that posted them.")


class Tag(Schema):
    """Tag."""

    id: str
    name: str
    url: str
    history: list[TagDay] = Field(description="The last seven days, newest first.")
    following: bool | None = Field(None, description="With a user token only.")


class Relationship(Schema):
    """Relationship between the caller and one account."""

    id: str
    following: bool
    showing_reblogs: bool
    notifying: bool
    followed_by: bool
    blocking: bool
    blocked_by: bool
    muting: bool
    muting_notifications: bool
    requested: bool
    requested_by: bool
    domain_blocking: bool
    endorsed: bool
    note: str
    languages: list[str] | None
    muting_expires_at: str | None


class Application(Schema):
    """Application, as the app itself sees it."""

    id: str
    name: str
    website: str | None
    scopes: list[str]
    redirect_uris: list[str]
    redirect_uri: str
    vapid_key: str


class CredentialApplication(Application):
    """Application with its client credentials (only when registering)."""

    client_id: str
    client_secret: str
    client_secret_expires_at: int


class Token(Schema):
    """An access token."""

    access_token: str
    token_type: str
    scope: str
    created_at: int


class Rule(Schema):
    """A server rule."""

    id: str
    text: str


class InstanceV1(Schema):
    """Instance (v1)."""

    uri: str
    title: str
    short_description: str
    description: str
    email: str
    version: str
    urls: dict[str, str]
    stats: dict[str, int]
    thumbnail: str | None
    languages: list[str]
    registrations: bool
    approval_required: bool
    invites_enabled: bool
    configuration: dict[str, Any]
    contact_account: Account | None
    rules: list[Rule]


class InstanceV2(Schema):
    """Instance (v2)."""

    domain: str
    title: str
    version: str
    source_url: str
    description: str
    usage: dict[str, Any]
    thumbnail: dict[str, Any]
    icon: list[dict[str, Any]]
    languages: list[str]
    configuration: dict[str, Any]
    registrations: dict[str, Any]
    contact: dict[str, Any]
    rules: list[Rule]
    api_versions: dict[str, int]


class AuthorizationServer(Schema):
    """OAuth 2 authorization server metadata (RFC 8414)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    revocation_endpoint: str
    app_registration_endpoint: str
    scopes_supported: list[str]
    response_types_supported: list[str]
    response_modes_supported: list[str]
    grant_types_supported: list[str]
    code_challenge_methods_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    service_documentation: str


def errors(*statuses: int) -> dict[int, type[Schema]]:
    """Return the error responses an operation documents."""
    return dict.fromkeys(statuses, Error)
