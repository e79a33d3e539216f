"""Connection settings, resolved once: explicit argument > environment > profile > default.

The profiles file is shared with the CLI: `$CM_CONFIG_FILE`, else
`$XDG_CONFIG_HOME/codex-manager/profiles.json`, else `~/.config/codex-manager/profiles.json`:

    {"defaultProfile": "local",
     "profiles": {"local": {"baseUrl": "http://127.0.0.1:8787", "token": null}}}

Environment: `CM_URL`, `CM_TOKEN`, `CM_PROFILE` (and `CM_ACTOR`, the name recorded with decisions).
"""

from __future__ import annotations

import getpass
import json
import os
import stat
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CodexManagerError

__all__ = [
    "DEFAULT_BASE_URL",
    "ClientConfig",
    "ConfigError",
    "InsecureProfileFileWarning",
    "load_profiles",
    "profiles_path",
    "resolve_config",
    "save_profile",
]

DEFAULT_BASE_URL = "http://127.0.0.1:8787"


class ConfigError(CodexManagerError, ValueError):
    """The profiles file is unreadable or names a profile that does not exist."""


class InsecureProfileFileWarning(UserWarning):
    """The profiles file holds a token but other users may read it (it should be mode 600)."""


@dataclass(frozen=True)
class ClientConfig:
    """What a client needs to reach the API. `source` says where each value came from."""

    base_url: str
    token: str | None = field(default=None, repr=False)
    profile: str | None = None
    actor: str | None = None
    source: Mapping[str, str] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return self.base_url.rstrip("/") + "/api"


def profiles_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("CM_CONFIG_FILE"):
        return Path(env["CM_CONFIG_FILE"]).expanduser()
    base = Path(env["XDG_CONFIG_HOME"]).expanduser() if env.get("XDG_CONFIG_HOME") else None
    if base is None:
        base = Path(env.get("HOME") or Path.home()) / ".config"
    return base / "codex-manager" / "profiles.json"


def load_profiles(path: Path) -> dict[str, Any]:
    """The parsed file, or an empty one when it does not exist."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return {"profiles": {}}
    except OSError as e:
        raise ConfigError(f"cannot read the profiles file {path}: {e}") from e
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"the profiles file {path} is not valid JSON: {e}") from e
    if not isinstance(data, dict) or not isinstance(data.get("profiles", {}), dict):
        raise ConfigError(f'the profiles file {path} must be {{"profiles": {{<name>: {{baseUrl, token}}}}}}')
    data.setdefault("profiles", {})
    if any(isinstance(p, dict) and p.get("token") for p in data["profiles"].values()):
        _warn_if_readable_by_others(path)
    return data


def _warn_if_readable_by_others(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings.warn(
            f"{path} holds an API token and is readable by other users; run: chmod 600 {path}",
            InsecureProfileFileWarning,
            stacklevel=4,
        )


def resolve_config(
    base_url: str | None = None,
    token: str | None = None,
    profile: str | None = None,
    actor: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    config_file: str | os.PathLike[str] | None = None,
) -> ClientConfig:
    """Resolves each setting on its own: argument, then environment, then the profile, then default.

    The profile is the one named by `profile`, else `CM_PROFILE`, else the file's `defaultProfile`.
    Naming a profile that does not exist is an error; having no file at all is not.
    """
    env = os.environ if env is None else env
    path = Path(config_file).expanduser() if config_file is not None else profiles_path(env)
    data = load_profiles(path)
    profiles: dict[str, Any] = data["profiles"]
    named = profile or env.get("CM_PROFILE") or None
    chosen = named or data.get("defaultProfile")
    entry: dict[str, Any] = {}
    if chosen is not None:
        if chosen in profiles and isinstance(profiles[chosen], dict):
            entry = profiles[chosen]
        elif named is not None:
            known = ", ".join(sorted(profiles)) or "none"
            raise ConfigError(f"no profile {named!r} in {path} (profiles: {known})")
    source: dict[str, str] = {}

    def pick(key: str, arg: str | None, env_name: str, profile_key: str, default: str | None) -> str | None:
        if arg is not None:
            source[key] = "argument"
            return arg
        if env.get(env_name):
            source[key] = f"env {env_name}"
            return env[env_name]
        value = entry.get(profile_key)
        if isinstance(value, str) and value:
            source[key] = f"profile {chosen}"
            return value
        source[key] = "default"
        return default

    url = pick("base_url", base_url, "CM_URL", "baseUrl", DEFAULT_BASE_URL) or DEFAULT_BASE_URL
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"base URL must start with http:// or https://, got {url!r}")
    return ClientConfig(
        base_url=url.rstrip("/"),
        token=pick("token", token, "CM_TOKEN", "token", None),
        profile=chosen if entry else None,
        actor=pick("actor", actor, "CM_ACTOR", "actor", _os_user()),
        source=source,
    )


def _os_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def save_profile(
    name: str,
    base_url: str,
    token: str | None = None,
    *,
    make_default: bool = False,
    config_file: str | os.PathLike[str] | None = None,
) -> Path:
    """Adds or replaces a profile; the file is written atomically with mode 600."""
    path = Path(config_file).expanduser() if config_file is not None else profiles_path()
    data = load_profiles(path)
    data["profiles"][name] = {"baseUrl": base_url.rstrip("/"), "token": token}
    if make_default or "defaultProfile" not in data:
        data["defaultProfile"] = name
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=".profiles.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
