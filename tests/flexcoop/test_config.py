"""Config validation: every problem names file and key; unknown keys are errors."""

from pathlib import Path

import pytest

from flexcoop.config import ConfigError, load_config, parse_config

GOOD = """
[openadr]
vtn_url = "http://127.0.0.1:9000/OpenADR2/Simple/2.0b"
ven_name = "home-1"

[api]
port = 8081

[store]
data_dir = "data"
"""


def test_valid_config_resolves_data_dir_relative_to_file(tmp_path: Path) -> None:
    f = tmp_path / "osb.toml"
    f.write_text(GOOD)
    config = load_config(f)
    assert config.store.data_dir == tmp_path / "data"
    assert config.api.port == 8081
    assert config.openadr is not None and config.openadr.ven_name == "home-1"


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("[store]\ndata_dir='d'\nbogus=1\n", "store.bogus"),
        ("[store]\ndata_dir='d'\n[api]\nport=70000\n", "api.port"),
        ("[store]\ndata_dir='d'\n[[devices]]\nid='x'\n", "devices[0].driver"),
        ("[store]\ndata_dir='d'\n[[devices]]\nid='x'\ndriver='nope'\n", "devices[0].driver"),
        ("[api]\nport=1\n", "store"),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, extra: str, key: str) -> None:
    f = tmp_path / "osb.toml"
    f.write_text(extra)
    with pytest.raises(ConfigError) as info:
        load_config(f)
    assert f"{f}: {key}" in str(info.value)


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text("[store\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(f)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")


def test_vtn_url_must_be_http() -> None:
    with pytest.raises(ConfigError, match=r"openadr\.vtn_url"):
        parse_config(
            {"store": {"data_dir": "/tmp/x"}, "openadr": {"vtn_url": "ftp://x", "ven_name": "a"}}
        )
