"""The emulator's settings: Ably's production defaults, each one overridable (tests shorten the timers)."""

from dataclasses import dataclass, field

MIB = 1024 * 1024
LOCAL_DEVELOPMENT_KEY = "localapp.localkey:local-emulator-secret-not-for-production"


@dataclass
class EmulatorConfig:
    """Everything that shapes the emulator's behaviour. Durations are in seconds, sizes in bytes.

    :param keys: API keys `appId.keyId:secret` the emulator accepts; empty means the local development key.
    :param key_capabilities: optional capability per key name (`{"appId.keyId": {"p2p:*": ["*"]}}`); default all.
    :param revoked_keys: names of keys (`appId.keyId`) revoked in the account: any use of one is refused with 40131.
    :param revocable_keys: names of keys with Ably's "revocable tokens" option: only their tokens can be revoked.
    :param max_message_size: largest total message size per publish (Ably: 65536), larger publishes are NACKed 40009.
    :param max_frame_size: advertised `maxFrameSize`; frames above it are refused with 40009.
    :param max_messages_per_publish: most messages in one publish (MESSAGE frame or REST body), more → 40034;
        0 means no limit (Ably documents the error but publishes no figure).
    :param presence_members_max: most presence members on one channel (Ably: 200), one more → 91003.
    :param connection_state_ttl: how long a dropped connection can resume (Ably: 120 s).
    :param max_idle_interval: advertised `maxIdleInterval`; the server sends a heartbeat at least this often.
    :param presence_leave_timeout: members of a dropped connection leave after this long unless it resumes.
    :param history_ttl: how long published messages are kept for history, rewind and resume replay.
    :param history_max: most messages a channel keeps (oldest dropped first), whatever their age.
    :param history_max_bytes: most bytes of messages a channel keeps (oldest dropped first; a message counts for
        its size as Ably measures it, plus its other text and a fixed allowance: `protocol.stored_size`).
    :param history_total_max: most messages all channels keep together (the oldest of any channel dropped first).
    :param history_total_max_bytes: most bytes of messages all channels keep together (likewise). Ably publishes
        no size for history (it keeps 2 minutes); these bound what the emulator holds on a developer's machine.
    :param idempotency_window: how long a client-supplied message id is remembered, so that a message published
        again with it is not stored or delivered twice (Ably: 2 minutes).
    :param max_outbound_bytes: most bytes queued for one connection and not yet read by its client; past it the
        client is a slow consumer: DISCONNECTED 42920, and its TCP connection is cut if it still does not read.
        Presence SYNCs and replays are made as the socket drains, so they hardly count. Ably publishes no figure;
        16 MiB is 256 messages at maxMessageSize, about 5 s of Ably's per-connection outbound rate (50/s) at that size.
    :param housekeeping_interval: how often expired history is pruned and unused channels are dropped.
    :param rewind_max: the most messages a `rewind` channel param returns (Ably: 100).
    :param max_connection_publish_rate: messages a second one connection may publish (Ably: 50), more → 42911;
        0 means no limit.
    :param max_channel_publish_rate: messages a second all publishers together may publish on one channel (Ably:
        50), more → 42913; 0 means no limit.
    :param max_new_connection_rate: new realtime connections a second (Ably's Free plan: 42, account-wide), more →
        DISCONNECTED 80021, and the client retries later; 0 means no limit.
    :param token_ttl_default: token lifetime when a token request names none (Ably: 60 minutes).
    :param token_ttl_max: longest token lifetime granted (Ably: 24 hours).
    :param timestamp_skew: largest clock difference accepted on a signed TokenRequest.
    :param nonce_window: how long a TokenRequest nonce is remembered to refuse replays.
    :param reauth_before_expiry: send in-band AUTH (action 17) this long before a token expires; 0 disables it.
    :param push_namespaces: channel namespaces enabled for push (Ably's `pushEnabled` channel rules): a channel
        subscription elsewhere is refused with 40160. None (the default) enables push on every channel.
    :param mutable_namespaces: channel namespaces with Ably's "Message annotations, updates, appends, and deletes"
        rule (`mutableMessages`): updates, deletes, appends and annotations elsewhere are refused with 93002. None
        (the default) enables them on every channel.
    :param sandbox: answer Ably's test-app API (`POST /apps`, `DELETE /apps/{id}`) so the SDKs' own suites run here.
    :param tls_cert: PEM certificate (chain) file; with `tls_key`, the emulator also listens with TLS on `tls_port`.
    :param tls_key: PEM private key file of `tls_cert`.
    :param tls_port: port of the TLS listener (0 picks a free one).
    """

    keys: list[str] = field(default_factory=list)
    key_capabilities: dict[str, dict] = field(default_factory=dict)
    revoked_keys: list[str] = field(default_factory=list)
    revocable_keys: list[str] = field(default_factory=list)
    max_message_size: int = 65536
    max_frame_size: int = 524288
    max_messages_per_publish: int = 0
    presence_members_max: int = 200
    connection_state_ttl: float = 120.0
    max_idle_interval: float = 15.0
    presence_leave_timeout: float = 15.0
    history_ttl: float = 120.0
    history_max: int = 10000
    history_max_bytes: int = 16 * MIB
    history_total_max: int = 100_000
    history_total_max_bytes: int = 128 * MIB
    max_outbound_bytes: int = 16 * MIB
    idempotency_window: float = 120.0
    housekeeping_interval: float = 10.0
    rewind_max: int = 100
    max_connection_publish_rate: float = 50
    max_channel_publish_rate: float = 50
    max_new_connection_rate: float = 42
    token_ttl_default: float = 3600.0
    token_ttl_max: float = 86400.0
    timestamp_skew: float = 600.0
    nonce_window: float = 900.0
    reauth_before_expiry: float = 0.0
    push_namespaces: list[str] | None = None
    mutable_namespaces: list[str] | None = None
    sandbox: bool = False
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_port: int = 0

    def effective_keys(self) -> list[str]:
        """The keys in force: the configured ones, or the local development key when none are given."""
        return list(self.keys) or [LOCAL_DEVELOPMENT_KEY]
