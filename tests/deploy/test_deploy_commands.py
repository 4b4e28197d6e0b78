"""Every `az` command of the deploy docs (docs/deploy.md, README.md) and of scripts/deploy_azure.sh is one the real
Azure CLI (pinned in tests/deploy/azure-cli-requirements.txt, installed in .venv/azure-cli by scripts/setup.sh
--with-browser) knows, with flags its help lists, on a line its own parser accepts; every `swa deploy` uses flags
the SWA CLI in node_modules lists; and what both deploy paths ship matches the API's runtime. The commands are found
in the text (tests/deploy/shell_commands.py), so a command added to the docs is checked without being listed here.
Nothing reaches Azure or the internet: help and parsing only, in a network namespace when the machine allows one,
with the Azure CLI's connections refused and recorded in-process as well."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.deploy.shell_commands import Command, commands

REPO = Path(__file__).resolve().parents[2]
SOURCES = [REPO / "docs/deploy.md", REPO / "README.md", REPO / "scripts/deploy_azure.sh"]
AZ_PYTHON = REPO / ".venv/azure-cli/bin/python"
AZ_REPORT = Path(__file__).with_name("az_cli_report.py")
SWA = REPO / "node_modules/.bin/swa"
API_RUNTIME = json.loads((REPO / "staticwebapp.config.json").read_text())["platform"]["apiRuntime"]
# What `@-` makes az read from its standard input in the parse check.
STDIN_KEY = "appId.keyId:secret-read-from-stdin"

AZ_COMMANDS = [command for source in SOURCES for command in commands(source, "az", REPO) if command.words]
SWA_DEPLOYS = [
    command
    for source in SOURCES
    for command in commands(source, "swa", REPO)
    if command.path[:1] == ("deploy",) and command.flags
]
# Lines the check must refuse, so that its passing means something. (No unknown command among them: the Azure CLI
# loads all of its modules, 15 s, before it says that one does not exist; such a line fails both as no command and
# as refused by the parser.)
MADE_UP = {
    "a group, not a command": Command("made up", ("staticwebapp", "appsettings", "--name", "app")),
    "unknown flag": Command("made up", ("staticwebapp", "create", "--name", "a", "--resource-group", "g", "--plan")),
    "missing required flag": Command("made up", ("staticwebapp", "create", "--name", "app")),
    "value not allowed": Command("made up", ("staticwebapp", "create", "-n", "a", "-g", "g", "--sku", "Cheap")),
}


def offline_prefix() -> list[str]:
    """`unshare --net --`: a fresh network namespace with no way out, where this machine lets the tests make one."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "--net", "true"], capture_output=True, timeout=30).returncode == 0:
        return [unshare, "--net", "--"]
    return []


@pytest.fixture(scope="module")
def az_report(tmp_path_factory) -> dict:
    """The real Azure CLI's word on every command, loaded once in one process (2 to 4 s; 12 s the first time,
    while Python compiles the modules it loads)."""
    if not AZ_PYTHON.exists():
        pytest.fail(f"{AZ_PYTHON.relative_to(REPO)} is missing: run scripts/setup.sh --with-browser (make test does)")
    folder = tmp_path_factory.mktemp("az")
    lines = [*AZ_COMMANDS, *MADE_UP.values()]
    argvs = sorted({command.words for command in lines})
    request = {"paths": sorted({command.path for command in lines}), "argvs": argvs}
    (folder / "request.json").write_text(json.dumps({**request, "stdin": STDIN_KEY}))
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(folder),
        "AZURE_CONFIG_DIR": str(folder / "config"),
        "AZURE_CORE_COLLECT_TELEMETRY": "no",
        "AZURE_CORE_NO_COLOR": "yes",
        "AZURE_CORE_SURVEY_MESSAGE": "no",
        "AZURE_EXTENSION_USE_DYNAMIC_INSTALL": "no",
    }
    run = subprocess.run(
        [*offline_prefix(), str(AZ_PYTHON), str(AZ_REPORT), str(folder / "request.json"), str(folder / "report.json")],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads((folder / "report.json").read_text())
    report["parse"] = dict(zip(argvs, report["parse"], strict=True))
    return report


@pytest.fixture(scope="module")
def swa_deploy_flags(tmp_path_factory) -> set[str]:
    """The option strings `swa deploy --help` lists (the SWA CLI's update check off, and no network)."""
    tmp_path = tmp_path_factory.mktemp("swa")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "NO_UPDATE_NOTIFIER": "1", "SWA_CLI_DEBUG": ""}
    run = subprocess.run(
        [*offline_prefix(), str(SWA), "deploy", "--help"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    options = [line.strip().split("  ")[0] for line in run.stdout.splitlines() if line.strip().startswith("-")]
    return {flag.strip() for option in options for flag in re.findall(r"--?[\w-]+", option)}


def test_the_deploy_docs_and_script_create_the_resource_group_first():
    for source in (REPO / "docs/deploy.md", REPO / "scripts/deploy_azure.sh"):  # the README runs the script
        paths = [command.path for command in commands(source, "az", REPO)]
        assert ("group", "create") in paths, f"{source.name} never creates the resource group"
        assert ("staticwebapp", "create") in paths, f"{source.name} never creates the Static Web App"
        assert paths.index(("group", "create")) < paths.index(("staticwebapp", "create")), source.name


@pytest.mark.parametrize("command", AZ_COMMANDS, ids=lambda command: f"{command.where} az {' '.join(command.path)}")
def test_az_command_is_real_with_real_flags(command, az_report):
    help_of = az_report["help"][" ".join(command.path)]
    if not command.flags:  # prose naming a command or a group: `az staticwebapp create` fails when ...
        assert help_of["kind"] in ("command", "group"), f"{command}: no command or group of the Azure CLI"
        return
    assert help_of["kind"] == "command", f"{command}: `az {' '.join(command.path)}` is no command of the Azure CLI"
    unknown = [flag for flag in command.flags if flag not in help_of["flags"]]
    assert not unknown, f"{command}: not in its --help: {unknown}"
    parsed = az_report["parse"][command.words]
    assert parsed["accepted"], f"{command}: the Azure CLI refuses it: {parsed['error']}"


def test_the_check_refuses_made_up_commands_flags_and_values(az_report):
    assert az_report["help"]["staticwebapp appsettings"]["kind"] == "group"
    assert "--plan" not in az_report["help"]["staticwebapp create"]["flags"]
    for problem, command in MADE_UP.items():
        assert not az_report["parse"][command.words]["accepted"], problem
    assert "--resource-group" in az_report["parse"][MADE_UP["missing required flag"].words]["error"]
    assert "Cheap" in az_report["parse"][MADE_UP["value not allowed"].words]["error"]


def test_az_takes_the_ably_key_from_its_standard_input_never_from_the_command_line(az_report):
    """`--setting-names ABLY_API_KEY=@-`, as the docs and the script pass the key, makes the real CLI read the value
    from stdin (the key then appears in no process list and no shell history)."""
    setting = [command for command in AZ_COMMANDS if command.path == ("staticwebapp", "appsettings", "set")]
    key_settings = [command for command in setting if any(word.startswith("ABLY_API_KEY=") for word in command.words)]
    assert key_settings, "no command sets ABLY_API_KEY"
    for command in key_settings:
        assert "ABLY_API_KEY=@-" in command.words, f"{command}: pass the key on stdin with ABLY_API_KEY=@-"
        assert az_report["parse"][command.words]["arguments"]["setting_pairs"] == [f"ABLY_API_KEY={STDIN_KEY}"]


def test_the_azure_cli_reached_for_nothing_but_its_blocked_update_check(az_report):
    version_check_host = urlsplit(az_report["version_check_url"]).hostname
    others = [attempt for attempt in az_report["network"] if version_check_host not in attempt]
    assert not others, f"the Azure CLI tried to reach the network (refused): {others}"


@pytest.mark.parametrize("command", SWA_DEPLOYS, ids=lambda command: command.where)
def test_swa_deploy_flags_are_the_swa_clis(command, swa_deploy_flags):
    unknown = [flag for flag in command.flags if flag not in swa_deploy_flags]
    assert not unknown, f"{command}: not in `swa deploy --help`: {unknown}"


def test_the_swa_deploy_flag_check_knows_real_flags_from_made_up_ones(swa_deploy_flags):
    assert {"--api-location", "--deployment-token", "--env", "--api-language", "-a"} <= swa_deploy_flags
    assert "--api-runtime" not in swa_deploy_flags


def test_swa_deploy_ships_the_api_for_its_runtime_to_production():
    """`swa deploy` defaults to Node and to a preview environment, and never installs requirements.txt: the docs
    name the config's runtime, production, and vendor the packages for Linux and that Python version."""
    language, version = API_RUNTIME.split(":")
    assert SWA_DEPLOYS, "the docs have no `swa deploy` with flags"
    for command in SWA_DEPLOYS:
        words = command.words
        assert words[words.index("--env") + 1] == "production", command
        assert words[words.index("--api-language") + 1] == language, command
        assert words[words.index("--api-version") + 1] == version, command
    vendoring = [
        command
        for command in commands(REPO / "docs/deploy.md", ".venv/bin/python", REPO)
        if command.words[:3] == ("-m", "pip", "install")
        and any(word.endswith("/.python_packages/lib/site-packages") for word in command.words)
    ]
    assert vendoring, "docs/deploy.md does not say how to ship the API's packages with swa deploy"
    for command in vendoring:
        words = command.words
        assert words[words.index("--python-version") + 1] == version, command
        assert words[words.index("--platform") + 1].endswith("_x86_64"), command
        assert "--only-binary=:all:" in words, command
