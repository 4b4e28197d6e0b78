"""Token revocations in force (state the authority holds); token_revocation.py is the REST API that adds them."""

from typing import Protocol

TARGET_TYPES = ("clientId", "revocationKey")


class RevocableToken(Protocol):
    key_name: str
    issued: int
    client_id: str | None
    revocable: bool
    revocation_key: str | None


class Revocations:
    """Per key and target (`clientId:alice`, `revocationKey:k`): tokens issued before a time are revoked from a
    time on.

    A revocation whose `issuedBefore` lies longer ago than the longest token lifetime can revoke nothing still
    valid, so it is forgotten: what is kept is bounded by the revocations of one token lifetime.
    """

    def __init__(self, longest_token_ms: float):
        self.longest_token_ms = longest_token_ms
        self.entries: dict[tuple[str, str], tuple[int, int]] = {}

    def add(self, key_name: str, target: str, issued_before: int, applies_at: int, now: int) -> None:
        horizon = now - self.longest_token_ms
        for entry in [entry for entry, (before, _) in self.entries.items() if before < horizon]:
            del self.entries[entry]
        self.entries[(key_name, target)] = (issued_before, applies_at)

    def revokes(self, token: RevocableToken, now: int) -> bool:
        """Whether `token` is revoked now: issued by a revocable key before a revocation of its clientId or its
        revocation key applies."""
        if not token.revocable or not self.entries:
            return False
        for kind, value in (("clientId", token.client_id), ("revocationKey", token.revocation_key)):
            entry = self.entries.get((token.key_name, f"{kind}:{value}")) if value is not None else None
            if entry is not None and token.issued < entry[0] and now >= entry[1]:
                return True
        return False
