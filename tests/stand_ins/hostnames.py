"""The names the deployed site meets: Ably's production hosts, as the official SDKs use them by default (ably-js
src/common/lib/util/defaults.ts, ably-python ably/transport/defaults.py), and a stand-in Azure name for the site."""

ABLY_PRIMARY = "main.realtime.ably.net"
ABLY_FALLBACKS = tuple(f"main.{letter}.fallback.ably-realtime.com" for letter in "abcde")
# ably-js asks this before it tries a fallback host, and expects "yes"; ably-python asks it too.
ABLY_CONNECTIVITY_CHECK = "internet-up.ably-realtime.com"
# ably-js opens a WebSocket here when WebSockets fail on every host, before falling back to HTTP polling.
ABLY_WS_CONNECTIVITY_CHECK = "ws-up.ably-realtime.com"
ABLY_HOSTS = (ABLY_PRIMARY, *ABLY_FALLBACKS, ABLY_CONNECTIVITY_CHECK, ABLY_WS_CONNECTIVITY_CHECK)

# Where Azure Static Web Apps would serve the site (a made-up app name under Azure's domain; never resolved).
SITE_HOST = "p2p-rehearsal.azurestaticapps.net"
