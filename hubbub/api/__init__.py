"""The Mastodon client API and its OAuth 2 server."""
