"""The settings file and the secrets file that `social-roi connect` writes: read under the environment,
never holding a secret where it could be committed, and edited without losing the user's lines."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.clients import ClientsError, read_clients, store_client_settings
from pipelines.setting_files import (
    SECRETS_FILE,
    SETTINGS_FILE,
    SettingFileError,
    apply_setting_files,
    secret_variable,
    store_secrets,
    store_settings,
    with_setting_files,
)


@pytest.fixture
def files(tmp_path) -> dict[str, str]:
    """An environment whose settings and secrets files are this test's own (neither exists yet)."""
    return {
        SETTINGS_FILE: str(tmp_path / "config" / "settings.toml"),
        SECRETS_FILE: str(tmp_path / "home" / "secrets.toml"),
    }


def test_settings_written_to_the_file_reach_every_command_and_the_environment_wins(files):
    store_settings(Path(files[SETTINGS_FILE]), {"META_AD_ACCOUNT_IDS": "act_1,act_2", "SOCIAL_ROI_CURRENCY": "EUR"})

    seen = with_setting_files({**files, "SOCIAL_ROI_CURRENCY": "NOK"})

    assert seen["META_AD_ACCOUNT_IDS"] == "act_1,act_2"
    assert seen["SOCIAL_ROI_CURRENCY"] == "NOK"


def test_a_secret_is_read_from_the_secrets_file_and_the_settings_file_only_names_it(files):
    store_secrets(Path(files[SECRETS_FILE]), {"LINKEDIN_REFRESH_TOKEN": "AQX-refresh-0123456789"})
    store_settings(Path(files[SETTINGS_FILE]), {"LINKEDIN_CLIENT_ID": "app-1"})

    environ = dict(files)
    added = apply_setting_files(environ)

    assert environ["LINKEDIN_REFRESH_TOKEN"] == "AQX-refresh-0123456789"
    assert environ["LINKEDIN_CLIENT_ID"] == "app-1"
    assert added == {"LINKEDIN_REFRESH_TOKEN", "LINKEDIN_CLIENT_ID"}
    assert "AQX-refresh" not in Path(files[SETTINGS_FILE]).read_text()
    assert stat.S_IMODE(os.stat(files[SECRETS_FILE]).st_mode) == 0o600


def test_a_secret_written_into_the_settings_file_is_refused_naming_where_it_belongs(files):
    path = Path(files[SETTINGS_FILE])
    path.parent.mkdir(parents=True)
    path.write_text('META_ACCESS_TOKEN = "EAAB-real-token-value"\n')

    with pytest.raises(SettingFileError, match="META_ACCESS_TOKEN holds a secret.*secrets file") as refused:
        with_setting_files(files)

    assert "EAAB-real-token-value" not in str(refused.value)


def test_a_secrets_file_other_users_may_read_is_refused_with_the_command_that_fixes_it(files):
    path = Path(files[SECRETS_FILE])
    store_secrets(path, {"META_ACCESS_TOKEN": "EAAB-real-token-value"})
    path.chmod(0o644)

    with pytest.raises(SettingFileError, match=f"chmod 600 {path}"):
        with_setting_files(files)


def test_the_secrets_file_is_never_written_inside_a_git_repository(tmp_path):
    repository = tmp_path / "project"
    (repository / ".git").mkdir(parents=True)

    with pytest.raises(SettingFileError, match="inside the git repository"):
        store_secrets(repository / "secrets.toml", {"META_ACCESS_TOKEN": "EAAB-real-token-value"})

    assert not (repository / "secrets.toml").exists()


def test_rewriting_the_settings_file_keeps_the_users_comments_and_other_settings(files):
    path = Path(files[SETTINGS_FILE])
    path.parent.mkdir(parents=True)
    path.write_text('# Fjord Sko\nSOCIAL_ROI_CURRENCY = "NOK"  # what the boss reads\nMETA_PAGE_IDS = "1"\n')

    store_settings(path, {"META_AD_ACCOUNT_IDS": "act_1", "META_PAGE_IDS": None})

    text = path.read_text()
    assert "# Fjord Sko" in text and "# what the boss reads" in text
    assert with_setting_files(files)["META_AD_ACCOUNT_IDS"] == "act_1"
    assert "META_PAGE_IDS" not in with_setting_files(files)


def test_a_setting_nobody_reads_is_refused_before_the_file_is_touched(files):
    with pytest.raises(SettingFileError, match="META_AD_ACOUNT_IDS is not a setting"):
        store_settings(Path(files[SETTINGS_FILE]), {"META_AD_ACOUNT_IDS": "act_1"})

    assert not Path(files[SETTINGS_FILE]).exists()


def test_a_clients_secret_is_kept_under_its_own_name_and_its_table_names_it(tmp_path):
    clients = tmp_path / "clients.toml"
    clients.write_text('# the agency\n[clients.fjord-sko]\nname = "Fjord Sko AS"\n')

    variable = secret_variable("fjord-sko", "LINKEDIN_REFRESH_TOKEN")
    store_client_settings(
        clients, "fjord-sko", {"LINKEDIN_REFRESH_TOKEN": f"env:{variable}", "LINKEDIN_CLIENT_ID": "app-1"}
    )

    assert variable == "FJORD_SKO_LINKEDIN_REFRESH_TOKEN"
    assert read_clients(clients)["fjord-sko"].settings == {
        "LINKEDIN_REFRESH_TOKEN": f"env:{variable}",
        "LINKEDIN_CLIENT_ID": "app-1",
    }
    assert clients.read_text().startswith("# the agency")
    with pytest.raises(ClientsError, match="names no client 'vidde'"):
        store_client_settings(clients, "vidde", {"LINKEDIN_CLIENT_ID": "app-1"})


def test_a_clients_code_location_reads_its_secret_from_the_secrets_file_and_nothing_from_the_settings_file(tmp_path):
    """Dagster loads a client's code location in a process of its own (`dagster dev -w` with the workspace that
    `social-roi clients --workspace` writes): the client's `env:` secret is found in the secrets file connect kept
    it in, and the single advertiser's settings file adds no account to the client's runs."""
    clients = tmp_path / "clients.toml"
    clients.write_text(
        '[clients.fjord]\nname = "Fjord Sko AS"\n[clients.fjord.settings]\n'
        'META_ACCESS_TOKEN = "env:FJORD_META_ACCESS_TOKEN"\nMETA_AD_ACCOUNT_IDS = "act_111"\n'
    )
    files = {
        SETTINGS_FILE: str(tmp_path / "config" / "settings.toml"),
        SECRETS_FILE: str(tmp_path / "home" / "secrets.toml"),
    }
    store_secrets(Path(files[SECRETS_FILE]), {"FJORD_META_ACCESS_TOKEN": "fjord-token-0123456789"})
    store_settings(Path(files[SETTINGS_FILE]), {"META_PAGE_IDS": "999"})  # the single advertiser's Page
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("META_", "SOCIAL_ROI_"))},
        **files,
        "SOCIAL_ROI_CLIENTS": str(clients),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    probe = (
        "import json, os\n"
        "import pipelines.client_locations as locations\n"
        "locations.fjord\n"
        "print(json.dumps({name: os.environ.get(name) for name in ('META_ACCESS_TOKEN', 'META_AD_ACCOUNT_IDS', "
        "'META_PAGE_IDS')}))\n"
    )

    loaded = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=300)

    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert json.loads(loaded.stdout.strip().splitlines()[-1]) == {
        "META_ACCESS_TOKEN": "fjord-token-0123456789",
        "META_AD_ACCOUNT_IDS": "act_111",
        "META_PAGE_IDS": None,
    }
