"""A recording stand-in for `az` and `gh` (named by the file it runs as), for the tests of scripts/deploy_azure.sh.

Each call appends one JSON line to $FAKE_CLI_LOG: the argv (program name first), the standard input when the
program reads it (az for `@-`, `gh secret set`), and whether ABLY_API_KEY was in its environment. It answers as the
real CLI would for a signed-in user whose Static Web App does not exist yet, except:
  FAKE_CLI_FAIL      a call whose argv (joined by spaces) starts with this fails, with an error on stderr;
  FAKE_SWA_EXISTS=1  `az staticwebapp show` finds the app;
  FAKE_GH_SIGNED_IN  "0": `gh auth status` fails, as when gh is installed but nobody signed in.
"""

import json
import os
import sys
from pathlib import Path

DEPLOYMENT_TOKEN = "fake-deployment-token-0123456789"
HOSTNAME = "nice-sea-0a1b2c3d4.5.azurestaticapps.net"


def answer(argv: list[str]) -> tuple[int, str]:
    """The exit status and output of the real CLI for this call."""
    joined = " ".join(argv)
    if joined.startswith("az account show"):
        return 0, "Pay-As-You-Go\n"
    if joined.startswith("az staticwebapp show") and "defaultHostname" in argv:
        return 0, HOSTNAME + "\n"
    if joined.startswith("az staticwebapp show"):
        return (0, "") if os.environ.get("FAKE_SWA_EXISTS") == "1" else (3, "")
    if joined.startswith("az staticwebapp secrets list"):
        return 0, DEPLOYMENT_TOKEN + "\n"
    if joined.startswith("gh auth status"):
        return (1, "") if os.environ.get("FAKE_GH_SIGNED_IN") == "0" else (0, "")
    return 0, ""


def main() -> int:
    argv = [Path(sys.argv[0]).name, *sys.argv[1:]]
    reads_stdin = any(word.endswith("=@-") for word in argv) or argv[:3] == ["gh", "secret", "set"]
    call = {
        "argv": argv,
        "stdin": sys.stdin.read() if reads_stdin else None,
        "env_has_key": "ABLY_API_KEY" in os.environ,
    }
    with open(os.environ["FAKE_CLI_LOG"], "a") as log:
        log.write(json.dumps(call) + "\n")
    failing = os.environ.get("FAKE_CLI_FAIL", "")
    if failing and " ".join(argv).startswith(failing):
        print(f"ERROR: (fake) {failing} failed", file=sys.stderr)
        return 1
    status, output = answer(argv)
    if status == 3:
        print("ERROR: (ResourceNotFound) The Resource was not found.", file=sys.stderr)
    sys.stdout.write(output)
    return status


if __name__ == "__main__":
    sys.exit(main())
