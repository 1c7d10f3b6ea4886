"""The suite's own promises: the environment does not leak into it, and it leaves the tree clean."""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tracker import create_app

PRODUCTION_ENVIRONMENT = {
    "TRACKER_ENV": "production",
    "SECRET_KEY": "key-from-the-environment",
    "TRACKER_PROXIES": "2",
    "LOGIN_WINDOW_SECONDS": "7",
    "TRUSTED_HOSTS": "tracker.example.org",
    "SERVER_NAME": "tracker.example.org",
}


def tree_state(root: Path) -> dict[str, tuple[int, int]]:
    """Every file of the working tree (outside .git, the virtualenv and build/, where the browser
    tests of other workers save their screenshots as CI artefacts), with size and mtime."""
    venv = Path(sys.prefix).resolve()
    artefacts = (root / "build").resolve()
    state = {}
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [
            d for d in dirs
            if d != ".git" and (here / d).resolve() not in (venv, artefacts)
        ]
        for name in files:
            path = here / name
            info = path.lstat()
            state[str(path.relative_to(root))] = (info.st_size, info.st_mtime_ns)
    return state


def changes(before: dict, after: dict) -> list[str]:
    return sorted(
        [f"new: {p}" for p in after.keys() - before.keys()]
        + [f"gone: {p}" for p in before.keys() - after.keys()]
        + [f"changed: {p}" for p in before.keys() & after.keys() if before[p] != after[p]]
    )


def test_a_test_app_takes_its_config_not_the_environments(monkeypatch, app_config):
    for name, value in PRODUCTION_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@192.0.2.1/production")
    before = tree_state(ROOT)
    app = create_app(app_config)
    try:
        assert app.config["SECRET_KEY"] == "test-secret-key"
        assert app.config["DATABASE_URL"] == app_config["DATABASE_URL"]
        assert app.config["TRACKER_ENV"] == "development"
        assert app.config["TRACKER_PROXIES"] == 0
        assert app.config["SESSION_COOKIE_SECURE"] is False
        assert app.config["TRUSTED_HOSTS"] is None
        assert app.config["SERVER_NAME"] is None
        assert app.config["LOGIN_WINDOW_SECONDS"] == 15 * 60  # the default, not 7
        assert app.test_client().get("/healthz").get_json() == {"status": "ok", "database": "ok"}
    finally:
        app.extensions["engine"].dispose()
    # No development key (instance/secret_key) or anything else written into the tree.
    assert changes(before, tree_state(ROOT)) == []


def test_the_suite_passes_with_production_settings_exported_and_leaves_the_tree_clean(tmp_path):
    """Runs a slice of the suite that builds apps from the environment and from test configs,
    loads the demo, hashes passwords and runs Hypothesis, the way ``make test`` runs it."""
    env = {
        **os.environ,
        **PRODUCTION_ENVIRONMENT,
        # A SQLite URL is the app's concern, never the suite's (only PostgreSQL is passed on).
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.db'}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    before = tree_state(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"--basetemp={tmp_path / 'run'}",
         "tests/test_factory.py", "tests/test_health.py", "tests/test_csrf.py",
         "tests/test_demo.py::test_loading_twice_gives_the_same_data",
         "tests/test_api.py::test_api_conforms_to_its_openapi_document"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.splitlines()[-1]
    assert changes(before, tree_state(ROOT)) == []
    assert not (tmp_path / "production.db").exists()
