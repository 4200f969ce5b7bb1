"""The demo community that ``hubbub demo`` seeds into an empty database."""
