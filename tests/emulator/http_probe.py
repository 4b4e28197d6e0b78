"""`python -m tests.emulator.http_probe METHOD URL [NAME: VALUE ...]`: one HTTP request, its status and body as JSON.

Run inside a network namespace by the tests that need a client on another host (test_controls_loopback.py).
"""

import json
import sys
import urllib.error
import urllib.request


def main(argv: list[str]) -> None:
    method, url, *headers = argv
    request = urllib.request.Request(url, method=method, headers=dict(h.split(": ", 1) for h in headers))
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    print(json.dumps({"status": status, "body": json.loads(body or b"null")}))


if __name__ == "__main__":
    main(sys.argv[1:])
