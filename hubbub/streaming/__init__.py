"""hubbub's streaming server (Mastodon's streaming API), run under ASGI."""
