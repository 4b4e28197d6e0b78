"""scripts/deploy_azure.sh runs the az steps in order (exact command lines, recorded by fakes of az and gh that are
the only programs on its PATH), skips what exists, stops at a failing step with one line naming it and what to do,
refuses to start without a well-formed ABLY_API_KEY, and never shows the key: not in its output, not on a command
line (which any user sees in the process list), not in a child's environment."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.fake_cli import DEPLOYMENT_TOKEN, HOSTNAME

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts/deploy_azure.sh"
BASH = shutil.which("bash") or "/bin/bash"
KEY = "appId.keyId:s3cret-that-must-never-show"
SECRET = "AZURE_STATIC_WEB_APPS_API_TOKEN"

APP_AND_GROUP = ["--name", "friends-game", "--resource-group", "rg-friends"]
SIGNED_IN = ["az", "account", "show", "--query", "name", "--output", "tsv"]
CREATE_GROUP = ["az", "group", "create", "--name", "rg-friends", "--location", "westeurope", "--output", "none"]
FIND_APP = ["az", "staticwebapp", "show", *APP_AND_GROUP, "--output", "none"]
CREATE_APP = [
    "az",
    "staticwebapp",
    "create",
    *APP_AND_GROUP,
    "--location",
    "westeurope",
    "--sku",
    "Free",
    "--output",
    "none",
]
SET_KEY = [
    "az",
    "staticwebapp",
    "appsettings",
    "set",
    *APP_AND_GROUP,
    "--setting-names",
    "ABLY_API_KEY=@-",
    "--output",
    "none",
]
READ_TOKEN = [
    "az",
    "staticwebapp",
    "secrets",
    "list",
    *APP_AND_GROUP,
    "--query",
    "properties.apiKey",
    "--output",
    "tsv",
]
GH_SIGNED_IN = ["gh", "auth", "status"]
STORE_TOKEN = ["gh", "secret", "set", SECRET]
READ_URL = ["az", "staticwebapp", "show", *APP_AND_GROUP, "--query", "defaultHostname", "--output", "tsv"]
EVERY_STEP = [SIGNED_IN, CREATE_GROUP, FIND_APP, CREATE_APP, SET_KEY, READ_TOKEN, GH_SIGNED_IN, STORE_TOKEN, READ_URL]

# (the call that fails, the step the message names, the calls made up to it)
FAILURES = [
    (SIGNED_IN, "1/6 failed (check that the Azure CLI is installed and signed in): sign in with  az login", 1),
    (CREATE_GROUP, "2/6 failed (create the resource group rg-friends in westeurope)", 2),
    (CREATE_APP, "3/6 failed (create the Static Web App friends-game on the Free plan)", 4),
    (SET_KEY, "4/6 failed (set the app setting ABLY_API_KEY)", 5),
    (READ_TOKEN, "5/6 failed (store the deployment token as the GitHub secret", 6),
    (STORE_TOKEN, "5/6 failed (store the deployment token as the GitHub secret", 8),
    (READ_URL, "6/6 failed (read the site's URL)", 9),
]


def fake_bin(folder: Path, programs: tuple[str, ...]) -> Path:
    """A folder holding only the recording fakes, to be the script's whole PATH."""
    folder.mkdir(parents=True)
    for program in programs:
        fake = folder / program
        fake.write_text(
            f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(REPO)!r})\n"
            "from tests.deploy.fake_cli import main\nsys.exit(main())\n"
        )
        fake.chmod(0o755)
    return folder


class Run:
    def __init__(self, result: subprocess.CompletedProcess, log: Path):
        self.status = result.returncode
        self.stdout = result.stdout
        self.stderr = result.stderr
        self.calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    @property
    def argvs(self) -> list[list[str]]:
        return [call["argv"] for call in self.calls]

    def stdin_of(self, argv: list[str]) -> str:
        [call] = [call for call in self.calls if call["argv"] == argv]
        return call["stdin"]


def deploy(tmp_path: Path, *args: str, programs=("az", "gh"), **env: str) -> Run:
    log = tmp_path / "calls.jsonl"
    environment = {
        "PATH": str(fake_bin(tmp_path / "bin", programs)),
        "HOME": str(tmp_path),
        "FAKE_CLI_LOG": str(log),
        "ABLY_API_KEY": KEY,
        "RG": "rg-friends",
        "APP": "friends-game",
        "LOCATION": "westeurope",
        **env,
    }
    environment = {name: value for name, value in environment.items() if value is not None}
    result = subprocess.run(
        [BASH, str(SCRIPT), *args], env=environment, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    return Run(result, log)


def assert_key_never_shows(run: Run) -> None:
    assert KEY not in run.stdout
    assert KEY not in run.stderr
    assert not any(KEY in word for argv in run.argvs for word in argv), "the key was on a command line"
    assert not any(call["env_has_key"] for call in run.calls), "a child process had the key in its environment"


def test_help_says_what_it_does_and_calls_nothing(tmp_path):
    run = deploy(tmp_path, "--help")
    assert run.status == 0
    for words in ("resource group", "Free plan", "ABLY_API_KEY", SECRET, "RG", "APP", "LOCATION", "GITHUB_REPO", "URL"):
        assert words in run.stdout
    assert run.calls == []


def test_an_unknown_argument_prints_the_usage_and_calls_nothing(tmp_path):
    run = deploy(tmp_path, "--resource-group")
    assert run.status == 2
    assert "Usage" in run.stderr
    assert run.calls == []


def test_refuses_to_run_without_ably_api_key(tmp_path):
    run = deploy(tmp_path, ABLY_API_KEY=None)
    assert run.status == 2
    assert "ABLY_API_KEY is not set" in run.stderr
    assert "read -rs ABLY_API_KEY" in run.stderr
    assert run.calls == []


def test_refuses_a_key_that_is_not_an_ably_api_key_without_showing_it(tmp_path):
    run = deploy(tmp_path, ABLY_API_KEY="only-the-secret-part")
    assert run.status == 2
    assert "appId.keyId:secret" in run.stderr
    assert "only-the-secret-part" not in run.stdout + run.stderr
    assert run.calls == []


def test_runs_every_az_step_in_order_and_prints_the_site_url(tmp_path):
    run = deploy(tmp_path)
    assert run.status == 0, run.stderr
    assert run.argvs == EVERY_STEP
    assert run.stdin_of(SET_KEY) == KEY
    assert run.stdin_of(STORE_TOKEN) == DEPLOYMENT_TOKEN
    assert f"https://{HOSTNAME}" in run.stdout
    assert [line for line in run.stdout.splitlines() if "] " in line][-1] == "deploy_azure: [6/6] read the site's URL"


def test_the_key_shows_nowhere_whether_the_run_succeeds_or_fails(tmp_path):
    assert_key_never_shows(deploy(tmp_path / "ok"))
    assert_key_never_shows(deploy(tmp_path / "failing", FAKE_CLI_FAIL=" ".join(SET_KEY)))
    assert_key_never_shows(deploy(tmp_path / "no-gh", programs=("az",)))


def test_keeps_a_static_web_app_that_exists(tmp_path):
    run = deploy(tmp_path, FAKE_SWA_EXISTS="1")
    assert run.status == 0, run.stderr
    assert run.argvs == [argv for argv in EVERY_STEP if argv != CREATE_APP]
    assert "friends-game exists; kept as it is" in run.stdout


def test_stores_the_secret_in_the_repository_named_by_github_repo(tmp_path):
    run = deploy(tmp_path, GITHUB_REPO="jo/friends-game")
    assert run.status == 0, run.stderr
    assert [*STORE_TOKEN, "--repo", "jo/friends-game"] in run.argvs


@pytest.mark.parametrize(
    ("programs", "gh_signed_in", "calls"),
    [
        (("az",), "1", [argv for argv in EVERY_STEP if argv[0] != "gh"]),
        (("az", "gh"), "0", [argv for argv in EVERY_STEP if argv != STORE_TOKEN]),
    ],
    ids=["gh not installed", "gh not signed in"],
)
def test_without_a_usable_gh_prints_how_to_store_the_token_without_printing_it(tmp_path, programs, gh_signed_in, calls):
    run = deploy(tmp_path, programs=programs, FAKE_GH_SIGNED_IN=gh_signed_in)
    assert run.status == 0, run.stderr
    assert run.argvs == calls
    assert f"Actions secret {SECRET}" in run.stdout
    assert " ".join(READ_TOKEN) in run.stdout
    assert DEPLOYMENT_TOKEN not in run.stdout + run.stderr


def test_without_az_says_to_install_it(tmp_path):
    run = deploy(tmp_path, programs=("gh",))
    assert run.status == 1
    assert run.stderr.splitlines()[-1].startswith("deploy_azure: step 1/6 failed")
    assert "install the Azure CLI" in run.stderr
    assert run.calls == []


@pytest.mark.parametrize(("failing", "message", "calls_made"), FAILURES, ids=[" ".join(f[0][:4]) for f in FAILURES])
def test_a_failing_step_stops_the_script_with_one_line_naming_it(tmp_path, failing, message, calls_made):
    run = deploy(tmp_path, FAKE_CLI_FAIL=" ".join(failing))
    assert run.status == 1
    assert run.argvs == EVERY_STEP[:calls_made], "the script went on after the failure"
    assert "(fake)" in run.stderr, "az's own message is not shown"
    last = run.stderr.splitlines()[-1]
    assert last.startswith(f"deploy_azure: step {message}"), last
    assert len(last.split(": ", 2)[2]) > 20, f"no advice on what to do: {last}"
    assert_key_never_shows(run)
