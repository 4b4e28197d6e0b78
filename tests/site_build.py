"""The production build the tests run against: `npm run build` writes dist/site/, made here when it is missing or was
not built from the current sources, so running one test file needs no separate build step, and `make test` skips
the build when nothing it reads changed. `python -m tests.site_build` does the same now (scripts/test.sh, before
every `make test`).

Which sources a build was made from is a digest of their contents, kept beside dist/site with the build's own time
(its index.html's), so a build made another way (`npm run build`, `make build`) never passes for the tests' own.

A file lock makes concurrent pytest processes (xdist workers, or two runs at once) build once: whoever waited
finds the build fresh and uses it. The build is written beside dist/site and swapped in when complete, so a dev
host another run is serving from dist/site never finds it half-written.
"""

import fcntl
import hashlib
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
STAMP = REPO / "dist" / ".site-build-stamp"  # the digest of the sources dist/site was built from, and its time
BUILD_TIMEOUT_SECONDS = 300


class BuildFailed(Exception):
    """`npm run build` failed: the message says how and ends with its output."""


def sources_digest() -> str:
    """SHA-256 of every source file's path and contents (a file added, removed, renamed or edited changes it)."""
    digest = hashlib.sha256()
    for source in SOURCES:
        files = sorted(path for path in source.rglob("*") if path.is_file()) if source.is_dir() else [source]
        for path in (path for path in files if path.exists()):
            content = path.read_bytes()
            digest.update(f"{path.relative_to(REPO).as_posix()}\0{len(content)}\0".encode())
            digest.update(content)
    return digest.hexdigest()


def stamp(digest: str) -> str:
    """What STAMP says of the build in dist/site made from sources with this digest: also the build's own time."""
    return f"{digest} {(SITE / 'index.html').stat().st_mtime_ns}\n"


def is_stale() -> bool:
    """Whether dist/site is missing or was not built here from the current sources (Vite writes index.html anew on
    every build, so a build made another way has another time)."""
    if not (SITE / "index.html").is_file() or not STAMP.is_file():
        return True
    return STAMP.read_text() != stamp(sources_digest())


def ensure_site_built() -> bool:
    """Build the site unless dist/site was built from the current sources; return whether this call built it.

    Raises BuildFailed.
    """
    if not is_stale():
        return False
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not is_stale():
            return False
        digest = sources_digest()  # before the build: a source edited meanwhile makes the next run build again
        STAMP.unlink(missing_ok=True)
        build(STAGING)
        previous = SITE.with_name(".site-previous")
        shutil.rmtree(previous, ignore_errors=True)
        if SITE.exists():
            SITE.rename(previous)
        STAGING.rename(SITE)
        shutil.rmtree(previous, ignore_errors=True)
        STAMP.write_text(stamp(digest))
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
        built = ensure_site_built()
    except BuildFailed as exc:
        sys.exit(str(exc))
    print("built dist/site" if built else "dist/site is the build of the current sources: not built again")
