"""`python -m pip install -e python-sdk` works without any package index, and the wheel and sdist
hold the whole package."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import tomllib
from support.stack import ROOT

import codex_manager

SDK = ROOT / "python-sdk"


def offline_env() -> dict[str, str]:
    """pip with no index, no find-links and no machine configuration: nothing can be downloaded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(
        PIP_NO_INDEX="1", PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONNOUSERSITE="1"
    )
    return env


def backend() -> object:
    spec = importlib.util.spec_from_file_location("cm_build_backend", SDK / "_build" / "backend.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_editable_install_works_offline_in_a_fresh_environment(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # The machine's pip comes in through the system site-packages; the venv itself stays empty.
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], check=True
    )
    python = venv / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-e", str(SDK)],
        env=offline_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    probe = (
        "import codex_manager as c, importlib.metadata as m; print(c.__file__, m.version('codex-manager'))"
    )
    out = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=True
    ).stdout.split()
    assert out == [str(SDK / "src" / "codex_manager" / "__init__.py"), codex_manager.__version__]


def test_the_wheel_holds_every_module_and_its_metadata(tmp_path: Path) -> None:
    name = backend().build_wheel(str(tmp_path))  # type: ignore[attr-defined]
    with zipfile.ZipFile(tmp_path / name) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"codex_manager-{codex_manager.__version__}.dist-info/METADATA").decode()
        record = wheel.read(f"codex_manager-{codex_manager.__version__}.dist-info/RECORD").decode()
    sources = {
        p.relative_to(SDK / "src").as_posix()
        for p in (SDK / "src" / "codex_manager").rglob("*")
        if p.suffix in (".py", ".typed") and "__pycache__" not in p.parts
    }
    assert sources <= names
    assert "codex_manager/py.typed" in names and "codex_manager/_generated/sync_api.py" in names
    assert "Name: codex-manager" in metadata and "Requires-Python: >=3.10" in metadata
    assert "Requires-Dist" not in metadata  # zero runtime dependencies
    assert all(line.count(",") == 2 for line in record.strip().splitlines())


def test_the_sdist_builds_again_on_its_own(tmp_path: Path) -> None:
    name = backend().build_sdist(str(tmp_path))  # type: ignore[attr-defined]
    with tarfile.open(tmp_path / name) as sdist:
        members = sdist.getnames()
        sdist.extractall(tmp_path / "x", filter="data")
    base = f"codex_manager-{codex_manager.__version__}"
    assert f"{base}/PKG-INFO" in members and f"{base}/src/codex_manager/client.py" in members
    assert not any("__pycache__" in m for m in members)
    rebuilt = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.path[:0] = ['_build']; import backend as b; print(b.build_wheel(sys.argv[1]))",
            str(tmp_path),
        ],
        cwd=tmp_path / "x" / base,
        capture_output=True,
        text=True,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert (tmp_path / rebuilt.stdout.strip()).exists()


def test_the_python_3_10_toml_reader_agrees_with_tomllib() -> None:
    text = (SDK / "pyproject.toml").read_text()
    assert backend()._parse_toml_subset(text) == tomllib.loads(text)  # type: ignore[attr-defined]


def test_the_package_version_matches_pyproject() -> None:
    assert (
        tomllib.loads((SDK / "pyproject.toml").read_text())["project"]["version"] == codex_manager.__version__
    )
