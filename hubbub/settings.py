"""Django settings for hubbub.

Everything an operator sets comes from ``HUBBUB_*`` environment variables
(see docs/configuration.md). With none set, hubbub runs on the embedded
default: one SQLite file under ``var/``, the database task queue and the
local-memory cache.
"""

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
import redis
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"HUBBUB_{name}", default)


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name, "1" if default else "0").strip().lower()
    return value in {"1", "true", "yes", "on"}


def _env_rate(name: str, default: tuple[int, int]) -> tuple[int, int]:
    """Read a limit ``count/seconds`` from HUBBUB_RATE_LIMIT_<NAME>."""
    raw = _env("RATE_LIMIT_" + name.upper().replace(":", "_"))
    if not raw:
        return default
    count, _, seconds = raw.partition("/")
    return int(count), int(seconds)


VAR_DIR = Path(_env("VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Return the configured key, or one generated once and kept in var/."""
    if key := _env("SECRET_KEY"):
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = [
    h for h in _env("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in _env("CSRF_TRUSTED_ORIGINS").split(",") if o]

# --- hubbub's own settings -------------------------------------------------

# A note's length limit, in characters as a reader sees them.
HUBBUB_MAX_CHARACTERS = _env_int("MAX_CHARACTERS", 140)
# A second cap, in code points, that stops "Zalgo" stacks of combining marks.
HUBBUB_MAX_CODE_POINTS = _env_int("MAX_CODE_POINTS", 1000)
# Every URL counts as this many characters, whatever its length (Mastodon).
HUBBUB_CHARACTERS_PER_URL = 23
# Authors with more followers than this are merged into timelines when read
# instead of being pushed to every follower on write.
HUBBUB_FANOUT_LIMIT = _env_int("FANOUT_LIMIT", 10_000)
# Followers written per fan-out batch; each batch is one statement and one
# short transaction, so SQLite's single writer is never held for long.
HUBBUB_FANOUT_BATCH_SIZE = _env_int("FANOUT_BATCH_SIZE", 1000)
# Seconds after which the sweeper re-drives a post that is not fanned out.
HUBBUB_FANOUT_SWEEP_AFTER = _env_int("FANOUT_SWEEP_AFTER", 30)
# Entries kept per reader in the stored home timeline.
HUBBUB_TIMELINE_LENGTH = _env_int("TIMELINE_LENGTH", 800)
# Days a reader's Redis timeline is kept after their last read; fan-out
# skips readers without one, whose first read rebuilds it from the database.
HUBBUB_TIMELINE_ACTIVE_DAYS = _env_int("TIMELINE_ACTIVE_DAYS", 7)
# Notes a new follow copies from the followee into the follower's timeline.
HUBBUB_FOLLOW_BACKFILL = _env_int("FOLLOW_BACKFILL", 40)
HUBBUB_PAGE_SIZE = 20
HUBBUB_INSTANCE_TITLE = _env("INSTANCE_TITLE", "hubbub")
# Whether /oauth/token takes the password grant. Mastodon removed it in 4.4,
# but toot's login_cli and Mastodon.py's log_in(username, password) use it.
HUBBUB_OAUTH_PASSWORD_GRANT = _env_bool("OAUTH_PASSWORD_GRANT", False)
# Client API requests allowed per window, per token and per client IP
# (Mastodon's defaults: 300 every 5 minutes).
HUBBUB_API_RATE_LIMIT = _env_int("API_RATE_LIMIT", 300)
HUBBUB_API_RATE_PERIOD = _env_int("API_RATE_PERIOD", 300)
# Token requests (POST /oauth/token) per window and client IP: each one can
# be a password guess, so Mastodon's login-attempt limit (25 every 5 min).
HUBBUB_OAUTH_TOKEN_RATE_LIMIT = _env_int("OAUTH_TOKEN_RATE_LIMIT", 25)
HUBBUB_OAUTH_TOKEN_RATE_PERIOD = _env_int("OAUTH_TOKEN_RATE_PERIOD", 300)
# Limits on what people do, enforced in the actions (core.ratelimits):
# "<action>:<key>" = (count, seconds), per account ("new" replaces
# "account" in an account's first day, "burst" is a short second window)
# and per address ("ip"). Mastodon's numbers where it has them
# (security-and-reliability.md 2.6); each can be set as
# HUBBUB_RATE_LIMIT_<ACTION>_<KEY>=count/seconds, and HUBBUB_RATE_LIMITS=0
# turns them all off.
HUBBUB_RATE_LIMITS_ON = _env_bool("RATE_LIMITS", True)
HUBBUB_NEW_ACCOUNT_SECONDS = _env_int("NEW_ACCOUNT_SECONDS", 24 * 3600)
_HOUR, _DAY = 3600, 24 * 3600
HUBBUB_RATE_LIMITS: dict[str, tuple[int, int]] = {
    name: _env_rate(name, default)
    for name, default in {
        "post:account": (300, 3 * _HOUR),
        "post:new": (50, 3 * _HOUR),
        "post:burst": (30, 300),
        "post:ip": (1500, 3 * _HOUR),
        "follow:account": (400, _DAY),
        "follow:new": (100, _DAY),
        "follow:ip": (2000, _DAY),
        "story:account": (10, _HOUR),
        "story:new": (2, _DAY),
        "story:ip": (50, _HOUR),
        "digg:account": (120, _HOUR),
        "digg:new": (30, _HOUR),
        "digg:ip": (600, _HOUR),
        "report:account": (50, _DAY),
        "report:new": (10, _DAY),
        "report:ip": (250, _DAY),
        "signup:ip": (5, 30 * 60),
        "login:account": (25, _HOUR),
        "login:ip": (25, 300),
        "delete:account": (30, 30 * 60),
        "app:ip": (10, _HOUR),
        # Every other change (a form sent, an API write), counted by
        # RateLimitMiddleware before the view runs: a ceiling on whatever
        # has no limit of its own.
        "change:account": (300, 300),
        "change:new": (100, 300),
        "change:ip": (1500, 300),
    }.items()
}
# Seconds the database event bus keeps an event for late subscribers.
HUBBUB_EVENT_RETENTION = _env_int("EVENT_RETENTION", 300)
# The address web pages and API entities link to (the streaming server
# renders statuses away from any web request). `hubbub serve` sets it.
HUBBUB_SITE_URL = _env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Where clients stream from (instance API). Empty: the web host's name on
# the port `hubbub serve` gives the streaming server, or the web port.
HUBBUB_STREAMING_URL = _env("STREAMING_URL").rstrip("/")
# Seconds between re-checks of each stream's token (S7: revoked tokens and
# suspended accounts lose their streams within 5 s).
HUBBUB_STREAMING_RECHECK = float(_env("STREAMING_RECHECK", "2"))
# Seconds between heartbeats on an idle stream (Mastodon.py wants <= 15).
HUBBUB_STREAMING_HEARTBEAT = float(_env("STREAMING_HEARTBEAT", "10"))
# Social news: how many promotions a day the adaptive threshold aims at.
HUBBUB_NEWS_PROMOTIONS_PER_DAY = float(_env("NEWS_PROMOTIONS_PER_DAY", "20"))
# Addresses link previews may fetch although they are internal (an
# operator's LAN peers), comma-separated; empty refuses every one (S3).
HUBBUB_PREVIEW_ALLOW_ADDRESSES = _env("PREVIEW_ALLOW_ADDRESSES")
# Test-only fault injection: "fanout.batch_delay:SECONDS" slows each batch.
HUBBUB_FAULT = _env("FAULT")

# --- Django ------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "ninja",
    "oauth2_provider",
    "hubbub.core",
    "hubbub.accounts",
    "hubbub.posts",
    "hubbub.timelines",
    "hubbub.notifications",
    "hubbub.search",
    "hubbub.moderation",
    "hubbub.news",
    "hubbub.blog",
    "hubbub.web",
    "hubbub.api",
]

MIDDLEWARE = [
    "hubbub.api.middleware.ApiMiddleware",
    "hubbub.core.ratelimits.RateLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that a kept response passes through every middleware above.
    "hubbub.core.kept_responses.KeptResponseMiddleware",
]

ROOT_URLCONF = "hubbub.urls"
WSGI_APPLICATION = "hubbub.wsgi.application"
AUTH_USER_MODEL = "accounts.Account"
AUTHENTICATION_BACKENDS = ["hubbub.accounts.backends.AccountBackend"]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:public"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hubbub.web.context.site",
            ],
        },
    },
]

_SQLITE_DEFAULT = f"sqlite:///{VAR_DIR / 'hubbub.sqlite3'}"


def _database(url: str) -> dict[str, Any]:
    """Return Django's settings for the database at ``url``."""
    db = dict(dj_database_url.parse(url))
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the one writer; IMMEDIATE transactions
        # queue for the write lock instead of failing with "database is
        # locked". The log is copied back into the database (two fsyncs)
        # every 10,000 pages (~40 MB) rather than SQLite's 1,000: a page
        # that many commits rewrote (a story's row, an index's last leaf)
        # is then copied once, and small writes such as diggs wait on a
        # copy a tenth as often. Every commit still reaches the log first.
        db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000; "
                "PRAGMA wal_autocheckpoint=10000;"
            ),
        }
        db["CONN_MAX_AGE"] = None
        # Tests that start hubbub's own processes need a file they can share.
        db["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    else:
        db["CONN_MAX_AGE"] = 0
        db["CONN_HEALTH_CHECKS"] = False
        db["OPTIONS"] = {
            "pool": {"min_size": 2, "max_size": 20, "timeout": 10},
            # Only hubbub.core.prepared's statements bind on the server, so
            # only they are prepared: on first use, and planned once for
            # every value (their plans depend little on the values, and
            # planning them cost more than running them).
            "prepare_threshold": 0,
            "options": "-c plan_cache_mode=force_generic_plan",
        }
        db["DISABLE_SERVER_SIDE_CURSORS"] = True
    return db


DATABASES: dict[str, dict[str, Any]] = {
    "default": _database(_env("DATABASE_URL", _SQLITE_DEFAULT))
}
# Read replicas, as aliases replica1, replica2, ...: reads that tolerate
# lag (hubbub.core.db.replica_reads) go to one of them, everything else to
# the primary. In tests each mirrors the primary's test database.
HUBBUB_READ_REPLICAS: list[str] = []
for _n, _url in enumerate(u for u in _env("DATABASE_REPLICA_URLS").split(",") if u):
    HUBBUB_READ_REPLICAS.append(f"replica{_n + 1}")
    DATABASES[f"replica{_n + 1}"] = {
        **_database(_url.strip()),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["hubbub.core.db.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = _env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    SESSION_ENGINE = "hubbub.accounts.cached_sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "hubbub.accounts.sessions"

# The job queue: the database (the embedded default) or Redis through RQ.
# HUBBUB_TASK_QUEUE=database keeps jobs in the database even with Redis.
TASK_QUEUE = _env("TASK_QUEUE", "redis" if REDIS_URL else "database")
TASK_QUEUES = ["default", "fanout"]
if TASK_QUEUE not in {"database", "redis"} or (TASK_QUEUE == "redis" and not REDIS_URL):
    raise ImproperlyConfigured(
        "HUBBUB_TASK_QUEUE must be 'database', or 'redis' with HUBBUB_REDIS_URL set"
    )
if TASK_QUEUE == "redis":
    INSTALLED_APPS.append("django_rq")
    # From a URL, django-rq builds a new client, so a new connection, for
    # every job it queues: on PostgreSQL + Redis that connect cost a note's
    # publishing more than all the rest of it. One pool per process, handed
    # to each client django-rq builds, lets every enqueue reuse a
    # connection (the pool reopens itself in a forked child).
    _RQ_POOL = redis.ConnectionPool.from_url(REDIS_URL)
    RQ_QUEUES = {
        name: {
            # Required by django-rq; the pool alone decides where to connect.
            "HOST": _RQ_POOL.connection_kwargs.get("host", ""),
            "PORT": _RQ_POOL.connection_kwargs.get("port", 0),
            "REDIS_CLIENT_KWARGS": {"connection_pool": _RQ_POOL},
        }
        for name in TASK_QUEUES
    }
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
else:
    TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": TASK_QUEUES,
        }
    }

OAUTH2_PROVIDER_APPLICATION_MODEL = "api.Application"
OAUTH2_PROVIDER: dict[str, Any] = {
    "SCOPES_BACKEND_CLASS": "hubbub.api.oauth.server.MastodonScopes",
    "OAUTH2_VALIDATOR_CLASS": "hubbub.api.oauth.server.MastodonValidator",
    "OAUTH2_BACKEND_CLASS": "hubbub.api.oauth.server.MastodonOAuthLibCore",
    "OAUTH2_SERVER_CLASS": "hubbub.api.oauth.server.MastodonServer",
    # Mastodon's tokens never expire; the column needs a date, so a century.
    "ACCESS_TOKEN_EXPIRE_SECONDS": 100 * 365 * 24 * 3600,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 600,
    # Mastodon clients send no PKCE; those that do must use S256.
    "PKCE_REQUIRED": False,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    # Keep only a SHA-256 of each token, never the token itself.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https", "urn"],
}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS}.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _env("LOG_LEVEL", "WARNING")},
}
