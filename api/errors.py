"""The API's error responses: one exception type carrying the HTTP status and a stable error code."""

from dataclasses import dataclass

# Stable codes for the JSON body `{"error": {"code": ..., "message": ...}}`; clients may branch on them.
SETTING_MISSING = "setting_missing"
SETTING_INVALID = "setting_invalid"
SESSION_MISSING = "session_missing"
SESSION_INVALID = "session_invalid"
PEER_INVALID = "peer_invalid"
HOST_INVALID = "host_invalid"
METHOD_NOT_ALLOWED = "method_not_allowed"


@dataclass
class ApiError(Exception):
    """A failure the HTTP adapter turns into a JSON error response; `message` must never contain a secret."""

    status: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def to_json(self) -> dict[str, dict[str, str]]:
        """Return the response body for this error."""
        return {"error": {"code": self.code, "message": self.message}}


def missing_setting(name: str) -> ApiError:
    """A required app setting is absent or empty: the deployment is misconfigured (500)."""
    return ApiError(500, SETTING_MISSING, f"The app setting {name} is not set.")


def invalid_setting(name: str, expected: str) -> ApiError:
    """An app setting has the wrong shape (500); `expected` describes the shape, never the value."""
    return ApiError(500, SETTING_INVALID, f"The app setting {name} is invalid: expected {expected}.")


def missing_session(pattern: str) -> ApiError:
    """The request names no session (400): every token is for one session's channels."""
    return ApiError(400, SESSION_MISSING, f"The session parameter is required and must match {pattern}.")


def invalid_session(pattern: str) -> ApiError:
    """The request names a session id that does not match the session rule (400)."""
    return ApiError(400, SESSION_INVALID, f"The session parameter must match {pattern}.")


def invalid_peer(pattern: str) -> ApiError:
    """The request names a page secret (`peer`) of the wrong shape (400)."""
    return ApiError(400, PEER_INVALID, f"The peer parameter must match {pattern}.")


def invalid_host() -> ApiError:
    """The address the request was made to is no origin (400): e.g. a port over 65535 or a user name in Host."""
    return ApiError(400, HOST_INVALID, "The request's host must be a host name or address with an optional port.")


def method_not_allowed(method: str, allowed: str) -> ApiError:
    """The endpoint was called with a method other than the one it serves (405)."""
    return ApiError(405, METHOD_NOT_ALLOWED, f"Method {method} is not allowed; use {allowed}.")
