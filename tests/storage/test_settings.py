"""Store URLs parse into typed settings; the factory picks the backend from the scheme."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from storage.factory import open_store
from storage.settings import (
    DEFAULT_STORE_URL,
    AstraSettings,
    CassandraSettings,
    SqliteSettings,
    parse_replication,
    parse_store_url,
    store_url,
)
from storage.sqlite import SqliteProvider


def test_default_url_when_unset() -> None:
    assert store_url({}) == DEFAULT_STORE_URL == "sqlite:///./data/assistants.db"
    assert store_url({"ASSISTANTS_STORE": "  "}) == DEFAULT_STORE_URL
    assert store_url({"ASSISTANTS_STORE": "cassandra://h/ks"}) == "cassandra://h/ks"


def test_sqlite_relative_and_absolute_paths() -> None:
    relative = parse_store_url("sqlite:///./data/assistants.db")
    assert relative == SqliteSettings(path=Path("data/assistants.db"))
    assert not relative.path.is_absolute()
    absolute = parse_store_url("sqlite:////var/lib/assistants/a.db?busy_timeout_ms=100&readers=4")
    assert absolute == SqliteSettings(
        path=Path("/var/lib/assistants/a.db"), busy_timeout_ms=100, readers=4
    )


@pytest.mark.parametrize(
    "url", ["sqlite://host/a.db", "sqlite:///", "sqlite:///:memory:", "sqlite:///a.db?wal=0"]
)
def test_bad_sqlite_urls(url: str) -> None:
    with pytest.raises(ValueError):
        parse_store_url(url)


def test_cassandra_url_with_everything() -> None:
    url = (
        "cassandra://app:p%40ss%3Aword@10.0.0.1,10.0.0.2:9142/assistants"
        "?consistency=local_one&replication=SimpleStrategy:3&timeout=2.5&local_dc=dc1"
    )
    settings = parse_store_url(url)
    assert isinstance(settings, CassandraSettings)
    assert settings.hosts == ("10.0.0.1", "10.0.0.2")
    assert settings.port == 9142
    assert settings.keyspace == "assistants"
    assert settings.username == "app"
    assert settings.password is not None
    assert settings.password.get_secret_value() == "p@ss:word"
    assert settings.consistency == "LOCAL_ONE"
    assert settings.replication == {"class": "SimpleStrategy", "replication_factor": "3"}
    assert settings.timeout == 2.5
    assert settings.local_dc == "dc1"
    assert "p@ss" not in repr(settings) and "p@ss" not in str(settings)
    assert "p%40ss" not in repr(settings)


def test_cassandra_defaults_and_ipv6() -> None:
    settings = parse_store_url("cassandra://[::1]/ks")
    assert isinstance(settings, CassandraSettings)
    assert (settings.hosts, settings.port, settings.keyspace) == (("::1",), 9042, "ks")
    assert settings.consistency == "LOCAL_QUORUM"
    assert settings.serial_consistency == "LOCAL_SERIAL"
    assert settings.replication == {"class": "SimpleStrategy", "replication_factor": "1"}
    assert settings.username is None and settings.password is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SimpleStrategy:2", {"class": "SimpleStrategy", "replication_factor": "2"}),
        (
            "NetworkTopologyStrategy:dc1=3,dc2=2",
            {"class": "NetworkTopologyStrategy", "dc1": "3", "dc2": "2"},
        ),
        (
            '{"class": "NetworkTopologyStrategy", "dc1": 3}',
            {"class": "NetworkTopologyStrategy", "dc1": "3"},
        ),
    ],
)
def test_replication_forms(text: str, expected: dict[str, str]) -> None:
    assert parse_replication(text) == expected


@pytest.mark.parametrize(
    "url",
    [
        "cassandra://h1/",
        "cassandra:///ks",
        "cassandra://h1/bad-keyspace",
        "cassandra://h1/ks?consistency=SOMETIMES",
        "cassandra://h1:9042,h2:9043/ks",
        "cassandra://h1/ks?replication=SimpleStrategy:x",
        "cassandra://h1/ks?timeout=-1",
        "cassandra://h1/ks?colour=blue",
        "mysql://h1/db",
        "astra://?keyspace=1abc",
        "astra://?token=secret",
    ],
)
def test_bad_urls(url: str) -> None:
    with pytest.raises(ValueError):
        parse_store_url(url)


def test_bad_url_errors_do_not_echo_passwords() -> None:
    with pytest.raises(ValidationError) as error:
        parse_store_url("cassandra://u:hunter2@h1/ks?consistency=SOMETIMES")
    assert "hunter2" not in str(error.value)


def test_astra_url() -> None:
    default = parse_store_url("astra://")
    assert default == AstraSettings()
    assert (default.db_name, default.region, default.keyspace) == (
        "assistant_api_db",
        "us-east1",
        "assistant_api",
    )
    custom = parse_store_url(
        "astra://?db_name=mine&region=eu-west1&keyspace=ks1&devops_url=http://127.0.0.1:8999"
    )
    assert isinstance(custom, AstraSettings)
    assert (custom.db_name, custom.region, custom.keyspace, custom.devops_url) == (
        "mine",
        "eu-west1",
        "ks1",
        "http://127.0.0.1:8999",
    )


def test_factory_builds_sqlite_without_cassandra_driver(tmp_path: Path) -> None:
    already = "cassandra" in sys.modules
    provider = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    assert isinstance(provider, SqliteProvider)
    assert provider.settings.path == tmp_path / "x.db"
    if not already:
        assert "cassandra" not in sys.modules


def test_factory_rejects_unknown_schemes() -> None:
    with pytest.raises(ValueError):
        open_store("postgres://h/db")
