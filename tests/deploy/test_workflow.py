"""The GitHub Actions workflow deploys site/ unbuilt and the staged API with the root config."""

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github/workflows/azure-static-web-apps.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def deploy_steps(workflow: dict, action: str) -> list[dict]:
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    return [
        step
        for step in steps
        if step.get("uses") == "Azure/static-web-apps-deploy@v1" and step["with"]["action"] == action
    ]


def test_workflow_uploads_the_site_unbuilt_and_the_staged_api(workflow):
    [upload] = deploy_steps(workflow, "upload")
    assert upload["with"] == {
        "azure_static_web_apps_api_token": "${{ secrets.AZURE_STATIC_WEB_APPS_API_TOKEN }}",
        "repo_token": "${{ secrets.GITHUB_TOKEN }}",
        "action": "upload",
        "app_location": "site",
        "output_location": "",
        "skip_app_build": True,
        "api_location": "dist/api",
        "config_file_location": ".",
    }


def test_workflow_stages_the_api_with_the_tested_script_before_deploying(workflow):
    job = workflow["jobs"]["build_and_deploy"]
    runs = [step.get("run", "") for step in job["steps"]]
    uses = [step.get("uses", "") for step in job["steps"]]
    stage_at = next(i for i, run in enumerate(runs) if "scripts/stage_api.sh dist/api" in run)
    assert uses[0].startswith("actions/checkout@")
    assert stage_at < uses.index("Azure/static-web-apps-deploy@v1")


def test_workflow_closes_pull_request_environments(workflow):
    [close] = deploy_steps(workflow, "close")
    assert close["with"]["app_location"] == "site"
    # PyYAML reads the bare key `on` as True (YAML 1.1).
    triggers = workflow.get("on", workflow.get(True))
    assert "closed" in triggers["pull_request"]["types"]
    assert triggers["push"]["branches"] == ["main"]
