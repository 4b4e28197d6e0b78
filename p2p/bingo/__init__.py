"""Bingo on the session API (site/bingo/): rules.py (cards, lines, digests, verdicts), mirror.py (every peer's
copy), host.py (the host's part), feature.py (its message kinds)."""
