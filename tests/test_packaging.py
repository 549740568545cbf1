"""`pip install .` ships what the app reads at run time: the wheel built from this checkout
holds every file of its packages (modules, templates, the vendored scripts and their
licences, the compiled translations, the procedure, the migrations) and the console script
of production, and setuptools leaves no folder out ("Package would be ignored").

Built offline, as `pip wheel --no-build-isolation` does with this environment's setuptools,
from a copy of the packages (a build in the checkout would leave build/ behind, whose stale
files a later build would ship)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "forms", "services", "processes", "migrations")
# Read at run time, named so that a failure says what a deployment would miss.
NEEDED = [
    "app/api/__init__.py",
    "services/engine/__init__.py",
    "app/gunicorn_conf.py",
    "app/production_stack.py",
    "app/templates/base.html",
    "services/templates/letter.html",
    "app/static/css/app.css",
    "app/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js",
    "app/static/vendor/bpmn-js/bpmn-modeler.production.min.js",
    "app/static/vendor/dmn-js/dmn-modeler.production.min.js",
    "app/static/vendor/chart.js/chart.umd.min.js",
    "app/static/vendor/swagger-ui-dist/swagger-ui-bundle.js",
    "app/translations/fr/LC_MESSAGES/messages.mo",
    "services/vendor/bpmnlint.cjs",
    "services/vendor/bpmnlint.LICENSES.txt",
    "processes/complaint_handling.bpmn",
    "processes/complaint_routing.dmn",
    "processes/clocks.toml",
    "processes/forms/register_complaint.toml",
    "processes/messages/acknowledgement.fr.txt",
    "processes/presets/fca.toml",
    "migrations/env.py",
    "migrations/alembic.ini",
    "migrations/script.py.mako",
]


def _ignored(directory: str, names: list[str]) -> list[str]:
    return [name for name in names if name == "__pycache__" or name.startswith(".")]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[set[str], str, str, set[str]]:
    """The wheel's file names, its entry_points.txt, the build's log and the files of the
    packages it was built from."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=_ignored)
    out = source / "dist"
    result = subprocess.run(  # noqa: S603 - pip on our own source, offline
        [
            *(sys.executable, "-m", "pip", "wheel", "--verbose", "--no-deps", "--no-index"),
            *("--no-build-isolation", "--wheel-dir", str(out), str(source)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    (wheel,) = out.glob("complaintflow-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
        scripts = "".join(archive.read(name).decode() for name in entry_points)
    shipped = {
        path.relative_to(source).as_posix()
        for package in PACKAGES
        for path in (source / package).rglob("*")
        if path.is_file()
    }
    return names, scripts, log, shipped


def test_the_wheel_holds_what_the_app_reads_at_run_time(built: tuple) -> None:
    names, _, _, source = built
    missing = [name for name in NEEDED if name not in names]
    assert not missing, f"not in the wheel (a vendor file or .mo missing? make setup): {missing}"
    versions = {name for name in source if name.startswith("migrations/versions/")}
    assert len(versions) > 20 and versions <= names
    # Every file of the packages, whatever its kind or folder (vendor/chart.js is no package).
    assert sorted(source - names) == []


def test_the_wheel_installs_the_production_command(built: tuple) -> None:
    _, scripts, _, _ = built
    assert "[console_scripts]" in scripts
    assert "complaintflow-production = app.production_stack:main" in scripts


def test_setuptools_leaves_no_folder_out(built: tuple) -> None:
    _, _, log, _ = built
    assert "would be ignored" not in log.lower(), log[-3000:]
    assert "is absent from the `packages` configuration" not in log
