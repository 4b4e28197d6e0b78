"""The README stays a five-minute read that opens with the two commands, and every relative link in it and in
docs/*.md leads to a file that exists (and, for a Markdown file, to one of its headings), as GitHub renders them."""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
PAGES = [README, *sorted((REPO / "docs").glob("*.md"))]

FENCED_BLOCK = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\]\(([^)\s]+)\)|<img [^>]*src=\"([^\"]+)\"")
HEADING = re.compile(r"^#{1,6} +(.+?) *#*$", re.MULTILINE)


def prose(text: str) -> str:
    """The text without code: a link-like string in a code block or span is not a link."""
    return CODE_SPAN.sub("code", FENCED_BLOCK.sub("", text))


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the page's headings: lower case, punctuation dropped, spaces as hyphens, and a
    repeated one numbered (-1, -2, ...)."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCED_BLOCK.sub("", page.read_text())):
        slug = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower()).replace(" ", "-")
        found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return found


def relative_links(page: Path) -> list[str]:
    links = (match.group(1) or match.group(2) for match in LINK.finditer(prose(page.read_text())))
    return [link for link in links if not re.match(r"[a-z]+:", link)]


def test_the_readme_is_at_most_1500_words_code_included():
    assert len(README.read_text().split()) <= 1500


def test_the_readme_shows_the_two_commands_in_its_first_code_block_near_the_top():
    text = README.read_text()
    first_block = FENCED_BLOCK.search(text)
    assert first_block, "a code block"
    assert re.search(r"^make run\b", first_block.group(0), re.MULTILINE)
    assert re.search(r"^make test\b", first_block.group(0), re.MULTILINE)
    assert len(text[: first_block.start()].split()) <= 400, "the two commands come within the first 400 words"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(REPO).as_posix())
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page: Path):
    broken = []
    for link in relative_links(page):
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(f"{link}: no such file")
        elif anchor and target.suffix == ".md" and anchor not in anchors(target):
            broken.append(f"{link}: no heading #{anchor} in {target.relative_to(REPO)}")
    assert not broken, broken


def test_the_link_check_finds_links_and_headings():
    """So that its passing means something: the README's links are found, and a heading's anchor is GitHub's."""
    assert "docs/deploy.md" in relative_links(README)
    assert "the-api-app-settings--behaviour" in anchors(REPO / "docs/architecture.md")
