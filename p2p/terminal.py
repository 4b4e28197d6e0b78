"""Text from the network made safe for a terminal: everything the command line prints goes through printable().

Another peer (an elected host sends the words) or a hostile site could otherwise move the cursor, clear the screen,
fake a "Players:" line or turn a line around with a bidi override. Escaped characters show as Python spells them
(`\\x1b`, `\\u202e`), so the line still says what arrived; ordinary text in any script stays readable.
"""

import unicodedata

# Control (C0, DEL, C1), format (bidi, zero-width, tags), lone surrogates, line and paragraph separators.
ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Zero-width (non-)joiners are part of ordinary text: emoji sequences, Persian and Indic words.
JOINERS = frozenset("\u200c\u200d")
CLIP_LENGTH = 160


def printable(text: object) -> str:
    """`text` (or str(text)) with every character that could disguise or break the line escaped."""
    return "".join(
        character.encode("unicode_escape").decode("ascii")
        if unicodedata.category(character) in ESCAPED_CATEGORIES and character not in JOINERS
        else character
        for character in str(text)
    )


def clip(text: str, length: int = CLIP_LENGTH) -> str:
    """Untrusted text cut to a length that fits an error line."""
    return text if len(text) <= length else text[: length - 1] + "…"
