"""The Ably client options the site spreads into `new Ably.Realtime({...})`, derived from ABLY_ENDPOINT_URL."""

from api.settings import Endpoint


def client_options(endpoint: Endpoint | None) -> dict[str, object]:
    """Return `{}` for real Ably, or the options that point ably-js at the emulator (or another endpoint).

    The emulator speaks WebSocket only and has no connectivity-check host, hence `transports` and
    `disableConnectivityCheck`. ably-js takes the port of a TLS endpoint as `tlsPort`.
    """
    if endpoint is None:
        return {}
    options: dict[str, object] = {"endpoint": endpoint.host, "tls": endpoint.tls}
    options["tlsPort" if endpoint.tls else "port"] = endpoint.port
    options["transports"] = ["web_socket"]
    options["disableConnectivityCheck"] = True
    return options
