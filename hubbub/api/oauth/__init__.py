"""The OAuth 2 server: django-oauth-toolkit set up as Mastodon's."""
