"""The outbound policy's settings, read once from the environment, and its error's envelope."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError

from app.errors import to_api_error
from app.settings import Settings
from outbound import OutboundRefused
from outbound.policy import DENIED_REASON, LOOPBACK_REASON


def test_lists_come_from_the_environment_and_keys_refuse_private_ranges():
    env = {
        "ASSISTANTS_OUTBOUND_ALLOW": " 127.0.0.1 , vllm.internal",
        "ASSISTANTS_OUTBOUND_DENY": "127.0.0.0/8,",
    }
    plain = Settings.from_env(env).outbound_policy()
    keyed = Settings.from_env({**env, "ASSISTANTS_API_KEYS": "k1"}).outbound_policy()

    assert plain.allow.hosts == {"vllm.internal"}
    assert plain.refusal("x", ipaddress.ip_address("127.0.0.2")) == DENIED_REASON
    assert plain.refusal("x", ipaddress.ip_address("127.0.0.1")) is None
    assert plain.refusal("x", ipaddress.ip_address("::1")) is None
    assert keyed.refusal("x", ipaddress.ip_address("::1")) == LOOPBACK_REASON
    assert Settings.from_env({}).outbound_policy() == Settings().outbound_policy()


def test_a_wrong_entry_stops_the_server_at_startup():
    with pytest.raises(ValidationError, match=r"'http://10\.0\.0\.1' is not a host name"):
        Settings.from_env({"ASSISTANTS_OUTBOUND_DENY": "10.0.0.0/8,http://10.0.0.1"})


def test_a_refusal_is_a_400_in_openai_envelope():
    error = to_api_error(OutboundRefused("internal.example", LOOPBACK_REASON))
    assert error.status == 400
    assert error.envelope() == {
        "error": {
            "message": "The server's outbound policy refuses connections to 'internal.example' "
            "(a loopback address). The operator can allow it with ASSISTANTS_OUTBOUND_ALLOW.",
            "type": "invalid_request_error",
            "param": None,
            "code": "outbound_refused",
        }
    }
