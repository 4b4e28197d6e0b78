"""Every file the docs and the code's comments name is there: a renamed or removed module leaves no pointer behind.

A path such as `site/p2p.js`, `tests/protocol/vectors/*.json` or `p2p/` named in README.md, docs/ (not the
generated docs/benchmarks/) or any source file must exist, from the repository's root or from the naming file's
folder; a pointer to a function (`site/friendly-name.js normalizeFriendlyName`) must name one the file holds.
Placeholders (`tests/browser/<file>`, `site/…`) name only their folder.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("README.md", "Makefile", "function_app.py", "vite.config.js", "eslint.config.js")
SOURCE_DIRS = ("api", "bench", "devserver", "emulator", "examples", "p2p", "scripts", "site", "tests")
SCANNED_DIRS = ("docs", ".github", *SOURCE_DIRS)
SKIPPED_DIRS = {"__pycache__", "node_modules", "benchmarks", "public"}
SUFFIXES = {".py", ".js", ".mjs", ".vue", ".sh", ".html", ".md", ".yml", ".css"}
# A path starts after no word character, '.', '/', '@' or '-' (so not inside a URL or a relative import).
NAMED = re.compile(r"(?<![\w./@-])(?:site|p2p|api|emulator|devserver|tests|scripts)/[\w./*-]*")
# A module of the site or the peer followed by a name: the function or class a docstring says a rule mirrors.
POINTER = re.compile(r"(?<![\w./@-])((?:site|p2p)/[\w./-]+\.(?:js|py)) `?([A-Za-z_]\w*)")
NOT_PATHS = {
    "site/tutorial": "the ratio of the site's cost to the tutorial's (bench/)",
    "site/vendor": "a folder of the site before Vite, which the first-load benchmark reads from git",
}


def scanned_files() -> Iterator[Path]:
    """README.md, docs/ and every source file, in a stable order."""
    yield from (ROOT / name for name in SCANNED if (ROOT / name).exists())
    for folder in SCANNED_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            parts = path.relative_to(ROOT / folder).parts
            hidden = any(part.startswith(".") for part in parts)
            if path.suffix in SUFFIXES and path.is_file() and not hidden and not SKIPPED_DIRS & set(parts):
                yield path


def checked_files() -> Iterator[Path]:
    """The scanned files but this one, whose examples are wrong on purpose."""
    return (path for path in scanned_files() if path != Path(__file__).resolve())


def exists(named: str, naming_file: Path) -> bool:
    named = named.rstrip(".-")
    for base in (ROOT, naming_file.parent):
        if any(base.glob(named)) if "*" in named else (base / named).exists():
            return True
    return False


def missing_paths(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    where = path.relative_to(ROOT)
    return [
        f"{where}:{text.count(chr(10), 0, match.start()) + 1}: {match.group()}"
        for match in NAMED.finditer(text)
        if match.group().rstrip(".-") not in NOT_PATHS and not exists(match.group(), path)
    ]


def defines(text: str, name: str) -> bool:
    """Whether a module defines `name` (a function, class or constant; re-exporting it is not defining it)."""
    return re.search(rf"\b(?:function\*?|class|const|let|var|def)\s+{name}\b|^{name}\s*[:=]", text, re.M) is not None


def wrong_pointers(text: str) -> list[str]:
    """`site/….js name` pointers in `text` to a file that does not define `name`."""
    wrong = []
    for match in POINTER.finditer(text):
        target, name = ROOT / match[1], match[2]
        # Only identifiers (camelCase, PascalCase, snake_case): `site/p2p.js and …` names no function.
        if target.exists() and re.search(r"[A-Z_]", name) and not defines(target.read_text(), name):
            wrong.append(f"{match[1]} {name}")
    return wrong


def test_the_scan_covers_the_docs_and_the_sources():
    scanned = {path.relative_to(ROOT).as_posix() for path in scanned_files()}
    expected = {"README.md", "docs/protocol.md", "p2p/rules.py", "site/p2p.js", "tests/js/protocol-vectors.test.mjs"}
    assert expected <= scanned
    assert not any(name.startswith("docs/benchmarks/") for name in scanned)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("see `site/p2p.js`.", ["site/p2p.js"]),
        ("vectors in tests/protocol/vectors/*.json", ["tests/protocol/vectors/*.json"]),
        ("`python -m p2p` or p2p/<id>; http://x/api/clientConfig and '../../site/a.js'", ["p2p/"]),
    ],
)
def test_a_named_path_is_read_as_written(text, found):
    assert [match.group().rstrip(".-") for match in NAMED.finditer(text)] == found


def test_every_path_named_in_docs_and_comments_exists():
    assert [line for path in checked_files() for line in missing_paths(path)] == []


def test_a_pointer_to_a_function_in_the_wrong_file_is_caught():
    text = "site/p2p.js normalizeFriendlyName, site/friendly-name.js normalizeFriendlyName, site/p2p.js and more"
    assert wrong_pointers(text) == ["site/p2p.js normalizeFriendlyName"]


def test_every_pointer_to_a_sites_or_peers_function_names_one_the_file_holds():
    wrong = {
        f"{path.relative_to(ROOT)}: {pointer}"
        for path in checked_files()
        for pointer in wrong_pointers(path.read_text(encoding="utf-8", errors="replace"))
    }
    assert sorted(wrong) == []
