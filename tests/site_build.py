"""The production build the tests run against: `npm run build` writes dist/site/, made here when it is missing or
older than its sources, so running one test file needs no separate build step. `python -m tests.site_build`
builds it now, whatever its age (scripts/test.sh, before every `make test`).

A file lock makes concurrent pytest processes (xdist workers, or two runs at once) build once: whoever waited
finds the build fresh and uses it. The build is written beside dist/site and swapped in when complete, so a dev
host another run is serving from dist/site never finds it half-written.
"""

import fcntl
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "dist" / "site"
# What the build reads: the sources, Vite's config, and the pinned packages.
SOURCES = (REPO / "site", REPO / "vite.config.js", REPO / "package.json", REPO / "package-lock.json")
LOCK = REPO / "dist" / ".site-build.lock"
STAGING = REPO / "dist" / ".site-building"
BUILD_TIMEOUT_SECONDS = 300


class BuildFailed(Exception):
    """`npm run build` failed: the message says how and ends with its output."""


def newest_source_time() -> float:
    """The latest modification among the sources (folders count: deleting a file changes its folder's time)."""
    times = []
    for source in SOURCES:
        if source.is_dir():
            times += [path.stat().st_mtime for path in (source, *source.rglob("*"))]
        elif source.exists():
            times.append(source.stat().st_mtime)
    return max(times, default=0.0)


def is_stale() -> bool:
    """Whether dist/site is missing or older than a source (Vite writes index.html anew on every build)."""
    index = SITE / "index.html"
    return not index.is_file() or index.stat().st_mtime < newest_source_time()


def ensure_site_built(force: bool = False) -> bool:
    """Build the site unless dist/site is up to date (or `force`); return whether this call built it.

    Raises BuildFailed.
    """
    if not (force or is_stale()):
        return False
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (force or is_stale()):
            return False
        build(STAGING)
        previous = SITE.with_name(".site-previous")
        shutil.rmtree(previous, ignore_errors=True)
        if SITE.exists():
            SITE.rename(previous)
        STAGING.rename(SITE)
        shutil.rmtree(previous, ignore_errors=True)
    return True


def build(out_dir: Path) -> None:
    """Run `npm run build` into `out_dir` (emptied first); raise BuildFailed with its output if it fails."""
    command = ["npm", "run", "build", "--", "--outDir", str(out_dir), "--emptyOutDir"]
    try:
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildFailed(f"`npm run build` could not run: {exc}") from exc
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise BuildFailed(f"`npm run build` failed (exit status {result.returncode}):\n{output}")


if __name__ == "__main__":
    try:
        ensure_site_built(force=True)
    except BuildFailed as exc:
        sys.exit(str(exc))
