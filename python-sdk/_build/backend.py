"""In-tree PEP 517 / PEP 660 build backend, standard library only.

Why not setuptools or hatchling: pip builds in an isolated environment and downloads the backend
named in `build-system.requires` first. On machines without a package index that download fails, so
`pip install -e python-sdk` would not work offline. This backend needs nothing: it reads
`pyproject.toml`, copies `src/codex_manager` into a wheel, and for editable installs writes a wheel
holding one `.pth` file that puts `src/` on `sys.path`.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import tarfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "codex_manager"
WHEEL_TAG = "py3-none-any"
# Files of the source tree that make an sdist buildable on its own.
SDIST_INCLUDE = ("pyproject.toml", "README.md", "_build", "src", "tools", "tests")
# Reproducible archives: a fixed timestamp (1980-01-01, the earliest a zip can hold).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        return _parse_toml_subset(path.read_text("utf-8"))
    with path.open("rb") as f:
        return tomllib.load(f)


def _parse_toml_subset(text: str) -> dict[str, Any]:
    """The TOML this project's pyproject.toml uses: tables, strings, string arrays, booleans.

    Only for Python 3.10, which has no tomllib; a test compares it with tomllib on the real file.
    """
    import ast

    data: dict[str, Any] = {}
    table = data
    pending_key: str | None = None
    pending: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if pending_key is not None:
            pending.append(line)
            if line.startswith("]"):
                table[pending_key] = ast.literal_eval("\n".join(pending))  # "\n" ends # comments
                pending_key, pending = None, []
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            table = data
            for part in line.strip("[]").split("."):
                table = table.setdefault(part.strip(), {})
            continue
        key, _, value = (s.strip() for s in line.partition("="))
        key = key.strip('"')
        if value == "[":
            pending_key, pending = key, ["["]
        elif value.split("#")[0].strip() in ("true", "false"):
            table[key] = value.split("#")[0].strip() == "true"
        else:
            table[key] = ast.literal_eval(value)
    return data


def _project() -> dict[str, Any]:
    return dict(_load_toml(ROOT / "pyproject.toml")["project"])


def _dist_name(project: dict[str, Any]) -> str:
    return re.sub(r"[-_.]+", "_", project["name"]).lower()


def _metadata(project: dict[str, Any]) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project['description']}",
        f"Requires-Python: {project['requires-python']}",
    ]
    if "license" in project:
        lines.append(f"License: {project['license']}")
    if project.get("keywords"):
        lines.append(f"Keywords: {','.join(project['keywords'])}")
    lines += [f"Classifier: {c}" for c in project.get("classifiers", [])]
    lines += [f"Requires-Dist: {d}" for d in project.get("dependencies", [])]
    readme = ROOT / project.get("readme", "README.md")
    if readme.exists():
        lines.append("Description-Content-Type: text/markdown")
        return "\n".join(lines) + "\n\n" + readme.read_text("utf-8")
    return "\n".join(lines) + "\n"


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


class _Wheel:
    def __init__(self, path: Path, dist_info: str) -> None:
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self._dist_info = dist_info
        self._records: list[tuple[str, str, str]] = []

    def add(self, name: str, data: bytes) -> None:
        info = zipfile.ZipInfo(name, ZIP_DATE)
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        self._zip.writestr(info, data)
        self._records.append((name, _record_hash(data), str(len(data))))

    def close(self) -> None:
        record_name = f"{self._dist_info}/RECORD"
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows(self._records)
        writer.writerow((record_name, "", ""))
        info = zipfile.ZipInfo(record_name, ZIP_DATE)
        info.external_attr = 0o644 << 16
        self._zip.writestr(info, out.getvalue())
        self._zip.close()


def _dist_info_files(project: dict[str, Any]) -> dict[str, bytes]:
    return {
        "METADATA": _metadata(project).encode(),
        "WHEEL": (
            "Wheel-Version: 1.0\nGenerator: codex-manager-build\nRoot-Is-Purelib: true\n"
            f"Tag: {WHEEL_TAG}\n"
        ).encode(),
        "top_level.txt": f"{PACKAGE}\n".encode(),
    }


def _package_files() -> list[Path]:
    base = ROOT / "src" / PACKAGE
    return sorted(
        p
        for p in base.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".typed")
    )


def _build(wheel_directory: str, editable: bool) -> str:
    project = _project()
    dist = _dist_name(project)
    dist_info = f"{dist}-{project['version']}.dist-info"
    filename = f"{dist}-{project['version']}-{WHEEL_TAG}.whl"
    wheel = _Wheel(Path(wheel_directory) / filename, dist_info)
    if editable:
        # A .pth line is a directory appended to sys.path: edits under src/ take effect at once.
        wheel.add(f"__editable__.{dist}.pth", f"{(ROOT / 'src').as_posix()}\n".encode())
    else:
        for path in _package_files():
            wheel.add(path.relative_to(ROOT / "src").as_posix(), path.read_bytes())
    for name, data in _dist_info_files(project).items():
        wheel.add(f"{dist_info}/{name}", data)
    wheel.close()
    return filename


def _write_metadata(metadata_directory: str) -> str:
    project = _project()
    dist_info = f"{_dist_name(project)}-{project['version']}.dist-info"
    target = Path(metadata_directory) / dist_info
    target.mkdir(parents=True, exist_ok=True)
    for name, data in _dist_info_files(project).items():
        (target / name).write_bytes(data)
    return dist_info


# PEP 517 hooks.


def get_requires_for_build_wheel(config_settings: dict[str, Any] | None = None) -> list[str]:
    return []


def get_requires_for_build_sdist(config_settings: dict[str, Any] | None = None) -> list[str]:
    return []


def get_requires_for_build_editable(config_settings: dict[str, Any] | None = None) -> list[str]:
    return []


def prepare_metadata_for_build_wheel(
    metadata_directory: str, config_settings: dict[str, Any] | None = None
) -> str:
    return _write_metadata(metadata_directory)


def prepare_metadata_for_build_editable(
    metadata_directory: str, config_settings: dict[str, Any] | None = None
) -> str:
    return _write_metadata(metadata_directory)


def build_wheel(
    wheel_directory: str,
    config_settings: dict[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    return _build(wheel_directory, editable=False)


def build_editable(
    wheel_directory: str,
    config_settings: dict[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    return _build(wheel_directory, editable=True)


def build_sdist(sdist_directory: str, config_settings: dict[str, Any] | None = None) -> str:
    project = _project()
    base = f"{_dist_name(project)}-{project['version']}"
    filename = f"{base}.tar.gz"

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        if "__pycache__" in info.name.split("/") or info.name.endswith(".pyc"):
            return None
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0
        return info

    with tarfile.open(Path(sdist_directory) / filename, "w:gz") as tar:
        for name in SDIST_INCLUDE:
            path = ROOT / name
            if path.exists():
                tar.add(path, arcname=f"{base}/{name}", filter=clean)
        pkg_info = _metadata(project).encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(pkg_info)
        tar.addfile(info, io.BytesIO(pkg_info))
    return filename
