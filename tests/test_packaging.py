"""`pip install .` installs a package that serves: the wheel holds the migrations and every checkpoint,
and, run from another directory, it migrates a database, creates a key and loads the shipped model."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from app.settings import DEFAULT_MODEL, PROJECT_ROOT
from app.store.database import MIGRATIONS


@pytest.mark.slow
def test_the_wheel_ships_the_migrations_and_the_checkpoints_and_serves_from_anywhere(tmp_path: Path):
    # the working tree as a fresh clone has it: pip builds in the tree, and an old build/ would hide a miss
    source, built = tmp_path / "source", tmp_path / "wheel"
    shutil.copytree(PROJECT_ROOT, source, ignore=shutil.ignore_patterns(".*", "build", "*.egg-info", "__pycache__"))
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(built), str(source)]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    (wheel,) = built.glob("memnn-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
        archive.extractall(tmp_path / "installed")
    migrations = {f"app/migrations/{path.relative_to(MIGRATIONS)}" for path in MIGRATIONS.rglob("*.py")}
    assert migrations | {"app/migrations/script.py.mako"} <= shipped
    checkpoints = {f"app/checkpoints/{path.name}" for path in (PROJECT_ROOT / "models").glob("*.pt")}
    assert checkpoints and checkpoints <= shipped

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "installed"), MEMNN_DATABASE_URL="sqlite:///memnn.db")
    key = subprocess.run(
        [sys.executable, "-m", "app.cli", "keys", "create", "--name", "me", "--scope", "write", "--banks", "*"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert key.startswith("mk_") and (elsewhere / "memnn.db").exists()
    loaded = (
        "import app, app.settings as s, app.memnn.checkpoint as c; "
        "c.load(s.Settings().model_path); print(app.__file__, s.Settings().model_path)"
    )
    where = subprocess.run(
        [sys.executable, "-c", loaded], cwd=elsewhere, env=env, capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert where == [
        str(tmp_path / "installed" / "app" / "__init__.py"),
        str(tmp_path / "installed" / "app" / "checkpoints" / DEFAULT_MODEL.name),
    ]
