"""The command lines a reader would run from the deploy docs and scripts, found in their text, so that a command
added to the docs is checked against the real CLI without anyone listing it in a test.

In Markdown: the fenced shell blocks (```sh, ```bash, ```shell, ```console or no language) and the inline code spans;
in a script: every line. A program's command starts where a shell would run a program (at the start of a line,
after `|`, `&&`, `;`, `$(`, `then`, an assignment or `npx`) and ends at the next operator, redirection or comment.
"""

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

SHELL_FENCES = {"", "sh", "bash", "shell", "console", "zsh"}
FENCE = re.compile(r"^\s*```\s*(\S*)")
INLINE_CODE = re.compile(r"`([^`]+)`")
# Words after which the next word is run as a program.
RUNS_NEXT = {"then", "do", "else", "if", "elif", "while", "until", "!", "time", "exec", "npx", "sudo"}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
REDIRECTION = re.compile(r"^[<>]")


@dataclass(frozen=True)
class Command:
    """One command line of a program: `words` follow the program's name, as the shell would pass them."""

    where: str
    words: tuple[str, ...]

    @property
    def path(self) -> tuple[str, ...]:
        """The words before the first flag: `az staticwebapp create --name x` → ("staticwebapp", "create")."""
        path: list[str] = []
        for word in self.words:
            if word.startswith("-"):
                break
            path.append(word)
        return tuple(path)

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(word.split("=", 1)[0] for word in self.words if word.startswith("-") and word != "-")

    def __str__(self) -> str:
        return f"{self.where}: {shlex.join(self.words)}"


def code_lines(path: Path) -> list[tuple[int, str]]:
    """The lines of shell a reader would copy from `path`, with their line numbers: all of a script, or the shell
    blocks and the inline code spans (which may wrap) of Markdown. Backslash-continued lines are joined."""
    lines = path.read_text().splitlines()
    if path.suffix != ".md":
        return _joined(list(enumerate(lines, 1)))
    code: list[tuple[int, str]] = []
    prose: list[str] = []  # the file with its fenced blocks blanked, so that inline spans keep their line numbers
    fence: str | None = None
    block: list[tuple[int, str]] = []
    for number, line in enumerate(lines, 1):
        opening = FENCE.match(line)
        if fence is None and opening:
            fence, block = opening.group(1).lower(), []
        elif fence is not None and opening:
            if fence in SHELL_FENCES:
                code += _joined([(n, text.removeprefix("$ ") if fence == "console" else text) for n, text in block])
            fence = None
        elif fence is not None:
            block.append((number, line))
        prose.append("" if fence is not None or opening else line)
    text = "\n".join(prose)
    code += [
        (text.count("\n", 0, span.start()) + 1, " ".join(span.group(1).split())) for span in INLINE_CODE.finditer(text)
    ]
    return code


def commands(path: Path, program: str, repo: Path) -> list[Command]:
    """Every command line of `program` in `path` (a Markdown file or a script)."""
    found = []
    for number, line in code_lines(path):
        if not re.search(rf"(?<![\w./-]){re.escape(program)}(?![\w./-])", line):
            continue
        words = _words(line)
        for start, word in enumerate(words):
            if word == program and _runs_here(words[:start]):
                found.append(Command(f"{path.relative_to(repo)}:{number}", tuple(_until_operator(words[start + 1 :]))))
    return found


def _joined(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Logical lines, numbered by their first: a line ending in a backslash goes on with the next, and so does a line
    whose quoted string does (a usage text in a script is one string, not commands)."""
    joined: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, line in lines:
        if pending is not None:
            number, text = pending
            line = text[:-1] + " " + line.lstrip() if text.endswith("\\") else text + "\n" + line
        if line.endswith("\\") or _lexed(line) is None:
            pending = (number, line)
            continue
        pending = None
        joined.append((number, line))
    if pending is not None:
        joined.append(pending)
    return joined


def _lexed(line: str) -> list[str] | None:
    """The shell's words and operators, quotes removed; None when a quote is left open."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:
        return None


def _words(line: str) -> list[str]:
    """The shell's words and operators; text that is not balanced shell (prose with an apostrophe in a code span) is
    split at spaces and operators instead."""
    words = _lexed(line)
    return words if words is not None else re.findall(r"\|\||&&|[|;()<>]+|[^\s|;()<>]+", line)


def _is_operator(word: str) -> bool:
    return bool(word) and all(char in "();<>|&" for char in word)


def _runs_here(before: list[str]) -> bool:
    while before and ASSIGNMENT.match(before[-1]):  # `NAME=value program ...`
        before = before[:-1]
    return not before or _is_operator(before[-1]) or before[-1] in RUNS_NEXT


def _until_operator(words: list[str]) -> list[str]:
    taken: list[str] = []
    for word in words:
        if _is_operator(word) or REDIRECTION.match(word):
            if taken and taken[-1].isdigit() and REDIRECTION.match(word):
                taken.pop()  # `2>/dev/null`: the 2 belongs to the redirection
            break
        taken.append(word)
    return taken
