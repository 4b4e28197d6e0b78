"""tests/deploy/shell_commands.py finds every command line a reader would run, as the shell would split it, so that
the checks against the real CLIs cover a command as soon as the docs or the script gain it, and only real ones."""

from tests.deploy.shell_commands import commands

DOC = """\
# Title

Prose that mentions az in passing, and `az group list
--output table` in a code span that wraps.

```sh
RG=p2p-demo   # az in a comment is no command
az group create --name "$RG" \\
  --location westeurope
printf '%s' "$KEY" | az staticwebapp appsettings set --setting-names KEY=@- --output none
if az staticwebapp show --name x --output none 2>/dev/null; then echo found; fi
TOKEN=$(az staticwebapp secrets list --name x --query properties.apiKey --output tsv) \\
  npx swa deploy dist/site --env production
```

```json
{ "note": "az group delete --name not-shell" }
```
"""

SCRIPT = """\
#!/usr/bin/env bash
printf '%s\\n' "Usage: this checks that az is installed
  az login"
az account show --query name --output tsv || fail "sign in"
"""


def found(tmp_path, name, text, program):
    (tmp_path / name).write_text(text)
    return [(command.where, command.words) for command in commands(tmp_path / name, program, tmp_path)]


def test_finds_each_az_command_of_a_markdown_file_as_the_shell_splits_it(tmp_path):
    assert found(tmp_path, "deploy.md", DOC, "az") == [
        ("deploy.md:8", ("group", "create", "--name", "$RG", "--location", "westeurope")),
        ("deploy.md:10", ("staticwebapp", "appsettings", "set", "--setting-names", "KEY=@-", "--output", "none")),
        ("deploy.md:11", ("staticwebapp", "show", "--name", "x", "--output", "none")),
        (
            "deploy.md:12",
            ("staticwebapp", "secrets", "list", "--name", "x", "--query", "properties.apiKey", "--output", "tsv"),
        ),
        ("deploy.md:3", ("group", "list", "--output", "table")),
    ]


def test_finds_a_command_run_after_an_assignment_and_npx(tmp_path):
    assert found(tmp_path, "deploy.md", DOC, "swa") == [
        ("deploy.md:12", ("deploy", "dist/site", "--env", "production"))
    ]


def test_in_a_script_finds_commands_but_not_prose_inside_a_string(tmp_path):
    assert found(tmp_path, "deploy.sh", SCRIPT, "az") == [
        ("deploy.sh:4", ("account", "show", "--query", "name", "--output", "tsv")),
    ]
