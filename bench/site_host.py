"""``python -m bench.site_host [--site DIR]``: the dev host serving a copy of a site with one extra, blank page.

The first-load benchmark needs a floor page on the same host, served by the same code with the same headers.
Rather than add a page to the real site, this serves a temporary copy of ``dist/site`` (the production build,
``npm run build``; ``make bench`` builds it first), or of ``--site DIR`` (the benchmark's older site), plus
``bench-blank.html`` (an empty HTML document) through ``devserver.DevServer`` (on the emulator, on free ports),
and prints the dev host's ready line, ``Open http://HOST:PORT/``, like ``python -m devserver``.
"""

import argparse
import asyncio
import shutil
import signal
import tempfile
from pathlib import Path

from devserver.server import BUILT_SITE, DevServer

REPO_ROOT = Path(__file__).resolve().parent.parent
BLANK_PAGE = "bench-blank.html"
BLANK_HTML = (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>blank</title></head><body></body></html>\n'
)


async def serve(source: Path) -> None:
    if not (source / "index.html").is_file():
        raise SystemExit(f"bench.site_host: no site in {source}: run `npm run build` (or `make bench`)")
    with tempfile.TemporaryDirectory(prefix="bench-site-") as folder:
        site = Path(folder) / "site"
        shutil.copytree(source, site)
        (site / BLANK_PAGE).write_text(BLANK_HTML)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        async with DevServer(port=0, site_dir=site, force_emulator=True) as server:
            print(f"Open {server.url}/", flush=True)
            await stopping.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.site_host", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--site", type=Path, default=REPO_ROOT / BUILT_SITE, help="the site to serve (default dist/site)"
    )
    asyncio.run(serve(parser.parse_args().site))
