"""Typed store settings, parsed from the ``ASSISTANTS_STORE`` URL.

* ``sqlite:///./data/assistants.db`` (relative to the working directory) or ``sqlite:////abs/path.db``;
  query: ``busy_timeout_ms``, ``readers``.
* ``cassandra://[user:pass@]host1,host2[:port]/keyspace`` with query ``consistency``,
  ``serial_consistency``, ``replication`` (JSON map or ``SimpleStrategy:1`` /
  ``NetworkTopologyStrategy:dc1=3,dc2=3``), ``timeout`` (seconds), ``local_dc``,
  ``speculative_delay`` (seconds; 0 never sends a request twice).
* ``astra://?db_name=...&region=...&keyspace=...`` with optional ``cloud_provider``,
  ``devops_url``, ``consistency``, ``timeout``, ``session_cache_size``, ``session_ttl``;
  the token comes with each request.

Unknown query parameters are rejected so a typo does not silently fall back to a default.
Passwords are ``SecretStr`` and never appear in ``repr``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

DEFAULT_STORE_URL = "sqlite:///./data/assistants.db"
STORE_ENV = "ASSISTANTS_STORE"

CONSISTENCY_LEVELS = frozenset(
    {"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "LOCAL_ONE"}
)
SERIAL_CONSISTENCY_LEVELS = frozenset({"SERIAL", "LOCAL_SERIAL"})
# Keyspace names are interpolated into CQL, so they must be plain identifiers (48 chars at most).
_KEYSPACE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,47}$")


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SqliteSettings(_Settings):
    scheme: Literal["sqlite"] = "sqlite"
    path: Path
    busy_timeout_ms: int = Field(default=5000, ge=0)
    readers: int = Field(default=2, ge=1, le=32)


class CassandraSettings(_Settings):
    scheme: Literal["cassandra"] = "cassandra"
    hosts: tuple[str, ...] = ("127.0.0.1",)
    port: int = Field(default=9042, ge=1, le=65535)
    keyspace: str
    username: str | None = None
    password: SecretStr | None = None
    consistency: str = "LOCAL_QUORUM"
    serial_consistency: str = "LOCAL_SERIAL"
    replication: dict[str, str] = Field(
        default_factory=lambda: {"class": "SimpleStrategy", "replication_factor": "1"}
    )
    timeout: float = Field(default=10.0, gt=0)
    local_dc: str | None = None
    # An idempotent request unanswered this long is also sent to the next node.
    speculative_delay: float = Field(default=0.5, ge=0)

    @field_validator("keyspace")
    @classmethod
    def _check_keyspace(cls, name: str) -> str:
        return _valid_keyspace(name)

    @field_validator("consistency")
    @classmethod
    def _check_consistency(cls, level: str) -> str:
        return _one_of(level, CONSISTENCY_LEVELS, "consistency")

    @field_validator("serial_consistency")
    @classmethod
    def _check_serial(cls, level: str) -> str:
        return _one_of(level, SERIAL_CONSISTENCY_LEVELS, "serial_consistency")

    @field_validator("hosts")
    @classmethod
    def _some_hosts(cls, hosts: tuple[str, ...]) -> tuple[str, ...]:
        if not hosts or any(not h for h in hosts):
            raise ValueError("cassandra URL needs at least one host")
        return hosts


class AstraSettings(_Settings):
    scheme: Literal["astra"] = "astra"
    db_name: str = "assistant_api_db"
    region: str = "us-east1"
    cloud_provider: str = "gcp"
    keyspace: str = "assistant_api"
    devops_url: str = "https://api.astra.datastax.com"
    consistency: str = "LOCAL_QUORUM"
    timeout: float = Field(default=10.0, gt=0)
    session_cache_size: int = Field(default=64, ge=1)
    session_ttl: float = Field(default=3600.0, gt=0)

    @field_validator("keyspace")
    @classmethod
    def _check_keyspace(cls, name: str) -> str:
        return _valid_keyspace(name)

    @field_validator("consistency")
    @classmethod
    def _check_consistency(cls, level: str) -> str:
        return _one_of(level, CONSISTENCY_LEVELS, "consistency")


StoreSettings = Annotated[
    SqliteSettings | CassandraSettings | AstraSettings, Field(discriminator="scheme")
]


def store_url(env: Mapping[str, str]) -> str:
    """The configured store URL, or the embedded SQLite default."""
    return env.get(STORE_ENV, "").strip() or DEFAULT_STORE_URL


def parse_store_url(url: str) -> SqliteSettings | CassandraSettings | AstraSettings:
    """Parse a store URL; raises ``ValueError`` (without echoing credentials) when it is invalid."""
    parts = urlsplit(url.strip())
    query = _query(parts.query)
    if parts.scheme == "sqlite":
        return _sqlite(parts.netloc, parts.path, query)
    if parts.scheme == "cassandra":
        return _cassandra(parts.netloc, parts.path, query)
    if parts.scheme == "astra":
        return AstraSettings.model_validate(query)
    raise ValueError(
        f"unknown store scheme {parts.scheme!r}: use sqlite://, cassandra:// or astra://"
    )


def _sqlite(netloc: str, path: str, query: dict[str, str]) -> SqliteSettings:
    if netloc:
        raise ValueError(
            "sqlite URL must look like sqlite:///relative.db or sqlite:////absolute.db"
        )
    # urlsplit keeps the leading "/" of the path; a relative file is written "sqlite:///./x.db".
    file = unquote(path[1:] if path.startswith("/") else path)
    if not file or file == ":memory:":
        raise ValueError("sqlite URL needs a database file path")
    return SqliteSettings.model_validate({**query, "path": Path(file)})


def _cassandra(netloc: str, path: str, query: dict[str, str]) -> CassandraSettings:
    userinfo, _, hostlist = netloc.rpartition("@")
    fields: dict[str, Any] = dict(query)
    if userinfo:
        user, _, password = userinfo.partition(":")
        fields["username"] = unquote(user)
        fields["password"] = SecretStr(unquote(password)) if password else None
    hosts, port = _hosts(hostlist)
    if port is not None:
        fields["port"] = port
    keyspace = path.strip("/")
    if not keyspace:
        raise ValueError("cassandra URL needs a keyspace: cassandra://host/keyspace")
    if "replication" in fields:
        fields["replication"] = parse_replication(fields["replication"])
    return CassandraSettings.model_validate({**fields, "hosts": hosts, "keyspace": keyspace})


def _hosts(hostlist: str) -> tuple[tuple[str, ...], int | None]:
    """Split ``h1,h2:port`` (IPv6 in brackets); every host given with a port must agree on it."""
    hosts: list[str] = []
    ports: set[int] = set()
    for item in filter(None, (h.strip() for h in hostlist.split(","))):
        match = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?|([^:\[\]]+)(?::(\d+))?", item)
        if not match:
            raise ValueError(f"invalid cassandra host {item!r}")
        hosts.append(match.group(1) or match.group(3))
        port = match.group(2) or match.group(4)
        if port:
            ports.add(int(port))
    if len(ports) > 1:
        raise ValueError("all cassandra hosts must use the same port")
    return tuple(hosts), (ports.pop() if ports else None)


def parse_replication(text: str) -> dict[str, str]:
    """A JSON map, ``SimpleStrategy:3`` or ``NetworkTopologyStrategy:dc1=3,dc2=2``."""
    text = text.strip()
    if text.startswith("{"):
        raw = json.loads(text)
        if not isinstance(raw, dict) or "class" not in raw:
            raise ValueError("replication JSON must be an object with a 'class'")
        return {str(k): str(v) for k, v in raw.items()}
    strategy, _, spec = text.partition(":")
    if strategy == "SimpleStrategy":
        if not spec.isdigit():
            raise ValueError("replication SimpleStrategy needs a factor: SimpleStrategy:1")
        return {"class": strategy, "replication_factor": spec}
    if strategy == "NetworkTopologyStrategy":
        result = {"class": strategy}
        for item in filter(None, spec.split(",")):
            dc, _, factor = item.partition("=")
            if not dc or not factor.isdigit():
                raise ValueError("replication NetworkTopologyStrategy needs dc=factor pairs")
            result[dc] = factor
        return result
    raise ValueError(f"unknown replication {text!r}")


def _query(text: str) -> dict[str, str]:
    pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False)
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("store URL repeats a query parameter")
    return result


def _valid_keyspace(name: str) -> str:
    if not _KEYSPACE.match(name):
        raise ValueError("keyspace must be a letter then up to 47 letters, digits or underscores")
    return name


def _one_of(value: str, allowed: frozenset[str], name: str) -> str:
    upper = value.upper()
    if upper not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(sorted(allowed))}")
    return upper
