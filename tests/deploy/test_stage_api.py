"""scripts/stage_api.sh builds an API folder that SWA can deploy and the host can index on its own."""

import subprocess
from pathlib import Path

from tests.api.indexing import assert_indexes_as_expected, index_app

REPO = Path(__file__).resolve().parents[2]


def stage(dest: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(REPO / "scripts/stage_api.sh"), str(dest)], capture_output=True, text=True, timeout=60, cwd="/"
    )


def files_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


def test_stage_api_copies_only_the_functions_app(tmp_path):
    dest = tmp_path / "dist/api"
    assert stage(dest).returncode == 0
    api_sources = {f"api/{path.name}" for path in (REPO / "api").glob("*.py")}
    assert files_under(dest) == {"host.json", "requirements.txt", "function_app.py"} | api_sources


def test_stage_api_replaces_a_previous_stage(tmp_path):
    dest = tmp_path / "dist/api"
    dest.mkdir(parents=True)
    (dest / "stale.py").write_text("raise SystemExit('stale file deployed')\n")
    assert stage(dest).returncode == 0
    assert not (dest / "stale.py").exists()


def test_stage_api_folder_imports_and_indexes_on_its_own(tmp_path):
    dest = tmp_path / "dist/api"
    assert stage(dest).returncode == 0
    index = index_app(dest)
    assert_indexes_as_expected(index)
    assert Path(index["functions"][0]["module_file"]).parent == dest


def test_stage_api_refuses_to_replace_the_repository_root():
    result = stage(Path("."))
    assert result.returncode == 2
    assert "refusing" in result.stderr
