"""Mastodon's client API, one module per URL group."""
