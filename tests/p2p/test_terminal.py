"""What the command line prints of the network's text: control characters escaped, ordinary text as it is."""

import sys
import unicodedata

import pytest

from p2p.terminal import printable


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[2J\x1b[HPlayers: Mallory (host)", "\\x1b[2J\\x1b[HPlayers: Mallory (host)"),
        ("one\nPlayers: fake\r", "one\\nPlayers: fake\\r"),
        ("\x00\x07\x08\t\x7f", "\\x00\\x07\\x08\\t\\x7f"),
        ("\x85\x9b2J", "\\x85\\x9b2J"),
        ("evil\u202egnp.exe", "evil\\u202egnp.exe"),
        ("\u2066\u2067\u2068\u2069\u200e\u200f", "\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f"),
        ("in\u200bvisible\ufeff\u2060", "in\\u200bvisible\\ufeff\\u2060"),
        ("line\u2028para\u2029", "line\\u2028para\\u2029"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("half \ud800 pair", "half \\ud800 pair"),
    ],
)
def test_control_format_and_separator_characters_are_escaped(text, shown):
    assert printable(text) == shown


@pytest.mark.parametrize(
    "text",
    ["Ada Lovelace", "Grüße, Zoë", "李小龍", "مرحبا", "שלום", "नमस्ते", "👩‍👩‍👧 🏳️‍🌈", "می‌خواهم", "a\\x1b", "Ω ≠ ∞ · «»"],
)
def test_ordinary_text_in_any_script_is_left_as_it_is(text):
    assert printable(text) == text


def test_every_character_that_is_escaped_is_one_a_terminal_could_act_on_or_hide():
    assigned = (chr(code) for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) not in ("Cn", "Co"))
    escaped = {character for character in assigned if printable(character) != character}
    assert {unicodedata.category(character) for character in escaped} == {"Cc", "Cf", "Cs", "Zl", "Zp"}
    assert all(printable(character).isascii() and printable(character).isprintable() for character in escaped)
    assert not escaped & {"\u200c", "\u200d"}


def test_anything_is_printed_as_its_text():
    assert printable(ValueError("bad\nthing")) == "bad\\nthing"
