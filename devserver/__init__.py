"""Local dev host: serves the build (dist/site) as Azure Static Web Apps would, runs the functions and the emulator."""

from devserver.server import DevServer, create_app

__all__ = ["DevServer", "create_app"]
