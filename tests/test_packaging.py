"""What ships: the Dockerfile, the OpenAPI document, the lock file."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from app.main import contract_document
from app.settings import Settings


def test_dockerfile_is_hadolint_clean(project_root: Path) -> None:
    hadolint = shutil.which("hadolint") or str(Path(__file__).parents[1] / ".venv/bin/hadolint")
    result = subprocess.run(
        [hadolint, "--failure-threshold", "info", str(project_root / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_unprivileged_with_a_readiness_healthcheck(project_root: Path) -> None:
    dockerfile = (project_root / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") >= 2
    assert "USER 10001:10001" in dockerfile
    assert "HEALTHCHECK" in dockerfile and "/readyz" in dockerfile
    assert '"serve", "--migrate"' in dockerfile


def test_committed_openapi_document_is_what_the_app_serves(
    project_root: Path, settings: Settings
) -> None:
    committed = json.loads((project_root / "openapi" / "openapi.json").read_text())
    assert committed == contract_document(settings), "run `make openapi`"


def test_lock_file_pins_every_dependency_with_hashes(project_root: Path) -> None:
    lock = (project_root / "requirements.lock").read_text()
    requirements = [line for line in lock.splitlines() if line and not line.startswith((" ", "#"))]
    assert requirements
    assert all("==" in line for line in requirements), requirements
    assert lock.count("--hash=sha256:") >= len(requirements)
