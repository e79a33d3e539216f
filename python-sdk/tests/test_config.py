"""Connection settings resolve per setting: argument > environment > profile > default, from the
profiles file the CLI shares."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from codex_manager import CodexManager, ConfigError, InsecureProfileFileWarning, resolve_config, save_profile
from codex_manager.config import DEFAULT_BASE_URL, profiles_path


def write_profiles(path: Path, data: object, mode: int = 0o600) -> Path:
    path.write_text(json.dumps(data))
    os.chmod(path, mode)
    return path


PROFILES = {
    "defaultProfile": "local",
    "profiles": {
        "local": {"baseUrl": "http://127.0.0.1:9001", "token": None},
        "prod": {"baseUrl": "https://cm.example.test/", "token": "prod-token-1234567890", "actor": "ops"},
    },
}


def test_without_a_file_or_variables_the_default_url_is_used(tmp_path: Path) -> None:
    cfg = resolve_config(env={}, config_file=tmp_path / "missing.json")
    assert cfg.base_url == DEFAULT_BASE_URL
    assert cfg.token is None
    assert cfg.profile is None
    assert cfg.source["base_url"] == "default"


def test_the_default_profile_of_the_file_applies(tmp_path: Path) -> None:
    path = write_profiles(tmp_path / "p.json", PROFILES)
    cfg = resolve_config(env={}, config_file=path)
    assert (cfg.base_url, cfg.token, cfg.profile) == ("http://127.0.0.1:9001", None, "local")
    assert cfg.source["base_url"] == "profile local"


def test_cm_profile_selects_a_profile_and_its_token(tmp_path: Path) -> None:
    path = write_profiles(tmp_path / "p.json", PROFILES)
    cfg = resolve_config(env={"CM_PROFILE": "prod"}, config_file=path)
    assert cfg.base_url == "https://cm.example.test"  # trailing slash dropped
    assert cfg.token == "prod-token-1234567890"
    assert cfg.actor == "ops"


def test_environment_beats_the_profile_and_arguments_beat_both(tmp_path: Path) -> None:
    path = write_profiles(tmp_path / "p.json", PROFILES)
    env = {"CM_PROFILE": "prod", "CM_URL": "http://10.0.0.1:8787", "CM_TOKEN": "env-token"}
    cfg = resolve_config(env=env, config_file=path)
    assert (cfg.base_url, cfg.token) == ("http://10.0.0.1:8787", "env-token")
    assert cfg.source == {"base_url": "env CM_URL", "token": "env CM_TOKEN", "actor": "profile prod"}
    cfg = resolve_config("http://h:1", "arg-token", "local", "me", env=env, config_file=path)
    assert (cfg.base_url, cfg.token, cfg.profile, cfg.actor) == ("http://h:1", "arg-token", "local", "me")


def test_an_explicit_profile_argument_beats_cm_profile(tmp_path: Path) -> None:
    path = write_profiles(tmp_path / "p.json", PROFILES)
    cfg = resolve_config(profile="local", env={"CM_PROFILE": "prod"}, config_file=path)
    assert cfg.profile == "local" and cfg.token is None


def test_naming_a_missing_profile_is_an_error_listing_the_known_ones(tmp_path: Path) -> None:
    path = write_profiles(tmp_path / "p.json", PROFILES)
    with pytest.raises(ConfigError, match=r"no profile 'staging'.*local, prod"):
        resolve_config(profile="staging", env={}, config_file=path)


def test_a_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        resolve_config(env={}, config_file=path)
    path.write_text('{"profiles": []}')
    with pytest.raises(ConfigError, match="must be"):
        resolve_config(env={}, config_file=path)


def test_a_url_without_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="http:// or https://"):
        resolve_config("localhost:8787", env={}, config_file=tmp_path / "none.json")


def test_a_token_in_a_file_others_can_read_warns(tmp_path: Path) -> None:
    path = write_profiles(tmp_path / "p.json", PROFILES, mode=0o644)
    with pytest.warns(InsecureProfileFileWarning, match="chmod 600"):
        resolve_config(env={}, config_file=path)


def test_the_file_location_follows_cm_config_file_then_xdg_then_home(tmp_path: Path) -> None:
    assert profiles_path({"CM_CONFIG_FILE": "/x/p.json", "XDG_CONFIG_HOME": "/y"}) == Path("/x/p.json")
    assert profiles_path({"XDG_CONFIG_HOME": "/y"}) == Path("/y/codex-manager/profiles.json")
    assert profiles_path({"HOME": "/home/u"}) == Path("/home/u/.config/codex-manager/profiles.json")


def test_save_profile_writes_mode_600_atomically_and_keeps_other_profiles(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "profiles.json"
    save_profile("local", "http://127.0.0.1:8787/", config_file=path)
    save_profile(
        "prod", "https://cm.example.test", "secret-token-123456", make_default=True, config_file=path
    )
    data = json.loads(path.read_text())
    assert data == {
        "defaultProfile": "prod",
        "profiles": {
            "local": {"baseUrl": "http://127.0.0.1:8787", "token": None},
            "prod": {"baseUrl": "https://cm.example.test", "token": "secret-token-123456"},
        },
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["profiles.json"]  # no temp file left


def test_the_client_reads_the_profile_named_by_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_profiles(tmp_path / "p.json", PROFILES)
    monkeypatch.setenv("CM_CONFIG_FILE", str(path))
    monkeypatch.setenv("CM_PROFILE", "prod")
    cm = CodexManager()
    assert cm.config.base_url == "https://cm.example.test"
    assert "prod-token" not in repr(cm) and "prod-token" not in repr(cm.config)  # tokens never printed
