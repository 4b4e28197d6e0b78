"""Every Ably error the emulator answers with, as a named constant (codes from ably-common `errors.json`)."""

from dataclasses import dataclass

HELP_URL = "https://help.ably.io/error/{code}"


@dataclass(frozen=True)
class ErrorSpec:
    """An Ably error kind: its code, HTTP status and default message."""

    code: int
    status: int
    message: str

    def __call__(self, detail: str | None = None) -> "AblyError":
        """Build the exception, optionally with a message more precise than the default."""
        return AblyError(self, detail)


class AblyError(Exception):
    """An error that travels to the client as an Ably ErrorInfo (protocol `error` field or REST body)."""

    def __init__(self, spec: ErrorSpec, detail: str | None = None):
        self.code = spec.code
        self.status = spec.status
        self.message = detail or spec.message
        super().__init__(f"{self.code}: {self.message}")

    def to_dict(self) -> dict:
        """The ErrorInfo shape ably-js and ably-python read: message, code, statusCode, href."""
        return {
            "message": self.message,
            "code": self.code,
            "statusCode": self.status,
            "href": HELP_URL.format(code=self.code),
        }


BAD_REQUEST = ErrorSpec(40000, 400, "Bad request")
INVALID_REQUEST_BODY = ErrorSpec(40001, 400, "Invalid request body")
INVALID_PARAMETER = ErrorSpec(40003, 400, "Invalid parameter value")
INVALID_CONNECTION_KEY = ErrorSpec(40006, 400, "Invalid connectionKey in message")
MESSAGE_TOO_LARGE = ErrorSpec(40009, 400, "Maximum message length exceeded")
INVALID_CHANNEL_NAME = ErrorSpec(40010, 400, "Invalid channel name")
INVALID_CLIENT_ID = ErrorSpec(40012, 400, "Invalid client ID")
INVALID_DEVICE_ID = ErrorSpec(40015, 400, "Invalid device id")
INVALID_MESSAGE_DATA = ErrorSpec(40013, 400, "Invalid message data or encoding")
INVALID_MESSAGE_NAME = ErrorSpec(40016, 400, "Invalid message name")
UNSUPPORTED_PROTOCOL_VERSION = ErrorSpec(40017, 400, "Unsupported protocol version")
FORCED_NACK = ErrorSpec(40099, 400, "Publish refused as asked by the _forceNack test param")
BATCH_ERROR = ErrorSpec(40020, 400, "Batch error")
TOO_MANY_MESSAGES = ErrorSpec(40034, 400, "Too many messages in one publish")
UNAUTHORIZED = ErrorSpec(40100, 401, "Unauthorized: no key or token supplied")
INVALID_CREDENTIALS = ErrorSpec(40101, 401, "Invalid credentials")
INCOMPATIBLE_CREDENTIALS = ErrorSpec(40102, 401, "Incompatible credentials")
TIMESTAMP_NOT_CURRENT = ErrorSpec(40104, 401, "Timestamp not current")
NONCE_REPLAYED = ErrorSpec(40105, 401, "Nonce value replayed")
KEY_REVOKED = ErrorSpec(40131, 401, "Key/token status changed (revoke)")
WRONG_REVOKING_KEY = ErrorSpec(
    40133, 401, "Wrong key; cannot revoke tokens with a different key to the one that issued them"
)
TOKEN_ERROR = ErrorSpec(40140, 401, "Token error")
TOKEN_REVOKED = ErrorSpec(40141, 401, "Token revoked")
TOKEN_EXPIRED = ErrorSpec(40142, 401, "Key/token expired")
TOKEN_UNRECOGNISED = ErrorSpec(40143, 401, "Token unrecognised")
INVALID_JWT = ErrorSpec(40144, 401, "Invalid JWT format")
CAPABILITY_DENIED = ErrorSpec(40160, 401, "Unable to perform channel operation (permission denied)")
IDENTIFIED_CLIENT_REQUIRED = ErrorSpec(40161, 401, "Operation requires an identified client")
BASIC_AUTH_REQUIRED = ErrorSpec(40162, 401, "Operation not permitted with a token, requires basic auth")
KEY_NOT_REVOCABLE = ErrorSpec(40163, 401, "Operation not permitted, key not marked as permitting revocable tokens")
MODE_NOT_REQUESTED = ErrorSpec(40165, 401, "Channel mode not requested when attaching")
UNIDENTIFIED_OWN_MESSAGES = ErrorSpec(40166, 401, "Unidentified client cannot modify own messages")
FORBIDDEN = ErrorSpec(40300, 403, "Forbidden")
NOT_FOUND = ErrorSpec(40400, 404, "Not found")
MESSAGE_NOT_FOUND = ErrorSpec(40400, 404, "Message not found")
CONNECTION_PUBLISH_RATE_EXCEEDED = ErrorSpec(
    42911, 429, "Rate limit exceeded; request rejected (nonfatal); per-connection publish rate exceeded"
)
CHANNEL_PUBLISH_RATE_EXCEEDED = ErrorSpec(
    42913, 429, "Rate limit exceeded; request rejected (nonfatal); per-channel publish rate exceeded"
)
# Ably's general fatal rate-limit close (errors.json 42920); here: a client too slow to read what is sent to it.
SLOW_CONSUMER = ErrorSpec(42920, 429, "Connection terminated by a fatal rate limit")
INTERNAL_ERROR = ErrorSpec(50000, 500, "Internal error")
CONNECTION_EXPIRED = ErrorSpec(80008, 400, "Unable to recover connection (connection expired)")
INCOMPATIBLE_RESUME = ErrorSpec(80011, 400, "Unable to recover connection (incompatible auth params)")
CONNECTION_CLOSED = ErrorSpec(80017, 400, "Connection closed")
CONNECTION_RATE_EXCEEDED = ErrorSpec(
    80021, 429, "Exceeded maximum permitted account-wide rate of creating new connections"
)
MALFORMED_CONNECTION_KEY = ErrorSpec(80018, 400, "Invalid connection key (invalid format)")
CHANNEL_MESSAGES_EXPIRED = ErrorSpec(90003, 400, "Unable to recover channel (messages expired)")
PRESENCE_NO_CLIENT_ID = ErrorSpec(91000, 400, "Unable to enter presence channel (no clientId)")
TOO_MANY_PRESENCE_MEMBERS = ErrorSpec(91003, 400, "Unable to enter member to presence channel; too many members")
MUTABLE_MESSAGES_NOT_ENABLED = ErrorSpec(
    93002, 400, "Message annotations, updates, appends, and deletes not enabled for this channel"
)
