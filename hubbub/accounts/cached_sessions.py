"""The session engine with Redis: ``hubbub.accounts.sessions.CachedSessionStore``."""

from hubbub.accounts.sessions import CachedSessionStore as SessionStore

__all__ = ["SessionStore"]
