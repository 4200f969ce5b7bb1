"""hubbub's own API, beside the Mastodon one: /api/hubbub/v1."""
