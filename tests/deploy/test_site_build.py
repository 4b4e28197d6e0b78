"""What `npm run build` puts in dist/site, the folder the dev host serves and the workflow deploys: a page the strict
CSP allows, hashed files under /assets/, the licences of every bundled package, and ably-js, the QR code library and
the session code (P2PSession and the P2P classes) left out of the first load; and the rule by which the tests build
it (tests/site_build.py, called by tests/conftest.py): when it is missing or was not built from the current sources,
reporting a failed build with its output."""

import gzip
import json
import os
import re

import pytest

from tests import site_build
from tests.site_build import REPO, SITE

# The site's budget for the JavaScript a first visit downloads, gzip-compressed: 65 KiB.
FIRST_LOAD_BUDGET_BYTES = 65 * 1024
PINS = json.loads((REPO / "package.json").read_text())["devDependencies"]
# A built module's imports of another chunk: static (`import{a}from"./x.js"`, `import"./x.js"`) or dynamic.
STATIC_IMPORT = re.compile(r"""(?:\bfrom|\bimport)\s*["'`]\./([\w.-]+\.js)["'`]""")
DYNAMIC_IMPORT = re.compile(r"""\bimport\(\s*["'`]\./([\w.-]+\.js)["'`]\s*\)""")


@pytest.fixture(scope="module")
def html() -> str:
    return (SITE / "index.html").read_text()


def references(html: str) -> list[str]:
    return re.findall(r'\b(?:src|href)="([^"]+)"', html)


def first_load(html: str) -> set[str]:
    """The files of /assets/ a first visit loads: index.html's own, and every chunk they import statically."""
    pending = [path.removeprefix("/assets/") for path in references(html) if path.startswith("/assets/")]
    loaded: set[str] = set()
    while pending:
        name = pending.pop()
        if name not in loaded:
            loaded.add(name)
            if name.endswith(".js"):
                pending += STATIC_IMPORT.findall((SITE / "assets" / name).read_text())
    return loaded


def test_the_built_page_has_no_inline_script_or_style(html):
    for attributes, body in re.findall(r"<script\b([^>]*)>([\s\S]*?)</script>", html):
        assert 'src="' in attributes, f"inline script: {attributes}"
        assert body.strip() == "", f"script with a body: {attributes}"
    assert "<style" not in html
    assert not re.search(r'\s(?:style|on[a-z]+)="', html)


def test_the_built_page_loads_hashed_files_by_absolute_path_and_each_exists(html):
    paths = references(html)
    assert "/favicon.svg" in paths
    scripts = re.findall(r'<script type="module"[^>]*src="([^"]+)"', html)
    assert len(scripts) == 1
    for path in paths:
        assert path.startswith("/"), f"{path} would not resolve under /s/<id>"
        assert (SITE / path.lstrip("/")).is_file(), f"{path} is not in dist/site"
        if path != "/favicon.svg":
            assert re.fullmatch(r"/assets/[\w-]+-[\w-]{8}\.(?:js|css)", path), f"{path} is not a hashed asset"


def test_the_build_holds_only_the_page_its_assets_the_favicon_and_the_licences():
    top = sorted(path.name for path in SITE.iterdir())
    assert top == ["assets", "favicon.svg", "index.html", "licenses.txt"]
    assert not (SITE / "index.js").exists()  # sources stay out of what is deployed


def test_the_licences_of_every_bundled_package_are_served_beside_the_page():
    licences = (SITE / "licenses.txt").read_text()
    for package, version, licence in [
        ("ably", PINS["ably"], "Apache-2.0"),
        ("qrcode-generator", PINS["qrcode-generator"], "MIT"),
        ("@vue/runtime-dom", PINS["vue"], "MIT"),
    ]:
        assert f"## {package} - {version} ({licence})" in licences
    assert licences.count("Permission is hereby granted") >= 2  # the MIT texts themselves, not only their names
    assert "Apache License" in licences


def test_ably_js_the_qr_code_library_and_the_session_code_load_only_when_someone_hosts_or_joins(html):
    chunks = {path.name for path in (SITE / "assets").glob("*.js")}
    lazy = {name for name in chunks if name.startswith(("ably-", "qrcode-", "p2p.session-"))}
    assert len(lazy) == 3, f"expected one ably-js, one qrcode-generator and one session chunk among {sorted(chunks)}"
    loaded = first_load(html)
    assert not lazy & loaded
    imported_later = {
        name
        for chunk in loaded
        if chunk.endswith(".js")
        for name in DYNAMIC_IMPORT.findall((SITE / "assets" / chunk).read_text())
    }
    assert lazy <= imported_later


def test_the_first_load_stays_within_its_budget_with_bingo_downloaded_only_for_a_game(html):
    loaded = first_load(html)
    scripts = sum(len(gzip.compress((SITE / "assets" / name).read_bytes())) for name in loaded if name.endswith(".js"))
    assert scripts <= FIRST_LOAD_BUDGET_BYTES, f"{scripts} bytes of JavaScript (gzip) before hosting or joining"
    assert not {name for name in loaded if name.startswith(("Bingo", "rules-"))}, (
        "bingo comes with a game, not the page"
    )


def test_the_tests_rebuild_when_a_source_changes_or_another_build_replaced_theirs_and_only_then(tmp_path, monkeypatch):
    site, sources = tmp_path / "dist" / "site", tmp_path / "site"
    sources.mkdir()
    (sources / "index.js").write_text("one")
    monkeypatch.setattr(site_build, "REPO", tmp_path)
    monkeypatch.setattr(site_build, "SITE", site)
    monkeypatch.setattr(site_build, "SOURCES", (sources,))
    monkeypatch.setattr(site_build, "STAMP", tmp_path / "dist" / ".stamp")
    assert site_build.is_stale()  # no build at all
    site.mkdir(parents=True)
    (site / "index.html").write_text("")
    site_build.STAMP.write_text(site_build.stamp(site_build.sources_digest()))  # as ensure_site_built leaves it
    assert not site_build.is_stale()

    os.utime(sources / "index.js", (3_000_000_000, 3_000_000_000))  # touched (a checkout), the same contents
    assert not site_build.is_stale()
    (sources / "index.js").write_text("two")
    assert site_build.is_stale()
    (sources / "index.js").write_text("one")
    assert not site_build.is_stale()
    (sources / "more.js").write_text("")
    assert site_build.is_stale()
    (sources / "more.js").unlink()
    assert not site_build.is_stale()

    os.utime(site / "index.html", (2_000, 2_000))  # `npm run build` wrote dist/site: not the build the stamp names
    assert site_build.is_stale()


def test_a_failing_build_is_reported_with_its_output_and_leaves_the_last_build_in_place(tmp_path, monkeypatch):
    (tmp_path / "package.json").write_text(
        json.dumps({"scripts": {"build": "echo 'broken.vue: no such file' >&2; exit 3"}})
    )
    (tmp_path / "dist" / "site").mkdir(parents=True)
    (tmp_path / "dist" / "site" / "index.html").write_text("the last build")
    monkeypatch.setattr(site_build, "REPO", tmp_path)
    monkeypatch.setattr(site_build, "SITE", tmp_path / "dist" / "site")
    monkeypatch.setattr(site_build, "LOCK", tmp_path / "dist" / ".lock")
    monkeypatch.setattr(site_build, "STAGING", tmp_path / "dist" / ".building")
    monkeypatch.setattr(site_build, "SOURCES", (tmp_path / "site",))
    monkeypatch.setattr(site_build, "STAMP", tmp_path / "dist" / ".stamp")  # none: the last build is not the sources'
    with pytest.raises(site_build.BuildFailed, match=r"(?s)failed \(exit status 3\).*broken\.vue: no such file"):
        site_build.ensure_site_built()
    assert (tmp_path / "dist" / "site" / "index.html").read_text() == "the last build"
