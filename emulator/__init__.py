"""A local Ably-protocol emulator that the unmodified ably-js and ably-python SDKs talk to."""

from .app import Emulator, create_app
from .config import LOCAL_DEVELOPMENT_KEY, EmulatorConfig

__all__ = ["LOCAL_DEVELOPMENT_KEY", "Emulator", "EmulatorConfig", "create_app"]
