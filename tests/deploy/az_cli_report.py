"""Run by the Azure CLI's own Python (.venv/azure-cli/bin/python), never by pytest: loads the real CLI once and
reports, as JSON, what it says of each command line it is given, without contacting anything.

Input (the JSON file named by argv[1]): {"paths": [[word, ...], ...], "argvs": [[word, ...], ...], "stdin": "..."},
without the leading `az`. Output (the JSON file named by argv[2]):
  help: for each command path (joined by spaces), what `az PATH --help` shows: "command" with the flags its
      Arguments sections list, "group", or "unknown";
  parse: for each argv, whether the CLI's own parser accepts it as written (flags, required arguments, allowed
      values, `@-` read from stdin) and what the command would receive; the command itself never runs: the
      parse is stopped as soon as it succeeds;
  network: every connection or name lookup the CLI tried (all refused: the CLI checks for updates online on its
      first run with a new config folder), and version_check_url, where that check goes;
  seconds: the time it took.
"""

import contextlib
import io
import json
import os
import re
import socket
import sys
import tempfile
import time
from typing import Any

network_attempts: list[str] = []


def _refuse(name: str):
    def refuse(*args: Any, **kwargs: Any) -> Any:
        target = args[1] if name.startswith("connect") else args[:2]
        network_attempts.append(f"{name} {target!r}")
        raise OSError(f"the deploy tests allow no network ({name})")

    return refuse


for _name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "create_connection"):
    setattr(socket, _name, _refuse(_name))
socket.socket.connect = _refuse("connect")  # type: ignore[method-assign]
socket.socket.connect_ex = _refuse("connect_ex")  # type: ignore[method-assign]

from azure.cli.core import get_default_cli  # noqa: E402  (after the network is refused)
from azure.cli.core.util import AME_STORAGE_BASE_URL  # noqa: E402
from knack.events import EVENT_INVOKER_POST_PARSE_ARGS  # noqa: E402

# An argument line of a help text's "... Arguments" section: its option strings, then "[Required]" or ":".
ARGUMENT_LINE = re.compile(r"^ {4}(-[^\s:\[]+(?: +-[^\s:\[]+)*)")


class ParsedAndStopped(Exception):
    """Raised right after the parse succeeds, so that the command never runs."""


@contextlib.contextmanager
def captured() -> Any:
    """Collect what the CLI prints: stdout, and stderr at its file descriptor (the CLI's log handlers keep the
    sys.stderr of their creation)."""
    with tempfile.TemporaryFile(mode="w+") as err_file:
        out = io.StringIO()
        sys.stderr.flush()
        saved_fd = os.dup(2)
        os.dup2(err_file.fileno(), 2)
        result = {"stdout": "", "stderr": ""}
        try:
            with contextlib.redirect_stdout(out):
                yield result
        finally:
            sys.stderr.flush()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            err_file.seek(0)
            result["stdout"] = out.getvalue()
            result["stderr"] = err_file.read()


def invoke(cli: Any, argv: list[str]) -> dict[str, str]:
    with captured() as printed, contextlib.suppress(SystemExit):
        cli.invoke(argv, out_file=sys.stdout)
    return printed


def help_of(cli: Any, path: list[str]) -> dict[str, Any]:
    text = invoke(cli, [*path, "--help"])["stdout"]
    heading = text.lstrip().split("\n", 1)[0].strip()
    if heading == "Group":
        return {"kind": "group", "flags": []}
    if heading != "Command":
        return {"kind": "unknown", "flags": []}
    flags: set[str] = set()
    in_arguments = False
    for line in text.splitlines():
        if line and not line.startswith(" "):
            in_arguments = line.rstrip().endswith("Arguments")
        elif in_arguments and (match := ARGUMENT_LINE.match(line)):
            flags.update(match.group(1).split())
    return {"kind": "command", "flags": sorted(flags)}


def parse_of(cli: Any, argv: list[str], stdin: str, received: dict[str, Any]) -> dict[str, Any]:
    received.clear()
    sys.stdin = io.StringIO(stdin)
    printed = invoke(cli, argv)
    sys.stdin = sys.__stdin__
    if not received:
        return {"accepted": False, "error": printed["stderr"].strip()}
    return {"accepted": True, "arguments": received.copy()}


def main() -> None:
    started = time.monotonic()
    with open(sys.argv[1]) as request_file:
        request = json.load(request_file)
    cli = get_default_cli()
    received: dict[str, Any] = {}

    def stop_after_parse(cli_ctx: Any, **kwargs: Any) -> None:
        received.update(
            {key: value for key, value in vars(kwargs["args"]).items() if not key.startswith("_") and key != "func"}
        )
        raise ParsedAndStopped()

    cli.register_event(EVENT_INVOKER_POST_PARSE_ARGS, stop_after_parse)
    report = {
        "help": {" ".join(path): help_of(cli, path) for path in request["paths"]},
        "parse": [parse_of(cli, argv, request.get("stdin", ""), received) for argv in request["argvs"]],
        "network": network_attempts,
        "version_check_url": AME_STORAGE_BASE_URL,
        "seconds": round(time.monotonic() - started, 2),
    }
    with open(sys.argv[2], "w") as out:
        json.dump(report, out, default=repr)


if __name__ == "__main__":
    main()
