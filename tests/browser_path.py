"""Find the Chromium the browser tests drive: $CHROMIUM_PATH, else a system Chromium, else Playwright's own."""

import os
import shutil

SYSTEM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def chromium_executable() -> str | None:
    """Return the path of the Chromium to launch, or None to let Playwright use its downloaded build."""
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit
    for candidate in SYSTEM_CANDIDATES:
        if os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")
