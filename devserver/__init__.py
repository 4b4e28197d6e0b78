"""Local dev host: serves site/ as Azure Static Web Apps would, runs the functions in-process, starts the emulator."""

from devserver.server import DevServer, create_app

__all__ = ["DevServer", "create_app"]
