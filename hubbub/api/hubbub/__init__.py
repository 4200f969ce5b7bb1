"""hubbub's own API, under ``/api/hubbub/v1``."""
