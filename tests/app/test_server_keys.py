"""``ASSISTANTS_API_KEYS``: the bearer must be a server key, the provider key travels in
``api-key``, and the ``astra-api-token`` keeps the users behind one server key apart."""

from __future__ import annotations

import uuid

import openai
import pytest
from pydantic import SecretStr

from app.settings import Settings
from tests.support.live_server import LiveServer

KEYS = ("sk-server-one", "sk-server-two")


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("server-keys")
    settings = Settings(
        store=f"sqlite:///{tmp / 'a.db'}",
        workers=1,
        api_keys=frozenset(SecretStr(key) for key in KEYS),
        # With server keys, loopback is refused by default; the fake upstream listens there.
        outbound_allow=["127.0.0.1"],
    )
    server = LiveServer(settings).start()
    yield server
    server.stop()


@pytest.fixture
def sdk(keyed_server, upstream):
    opened: list[openai.OpenAI] = []

    def make(bearer: str, user: str | None = None, provider_key: str | None = None):
        headers = {"base-url": upstream.base_url}
        if user is not None:
            headers["astra-api-token"] = user
        if provider_key is not None:
            headers["api-key"] = provider_key
        client = openai.OpenAI(
            base_url=keyed_server.url + "/v1",
            api_key=bearer,
            default_headers=headers,
            max_retries=0,
            timeout=30,
        )
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


def test_the_bearer_must_be_a_server_key(sdk):
    user = f"user-{uuid.uuid4().hex}"
    assert sdk(KEYS[0], user).beta.assistants.list().data == []
    assert sdk(KEYS[1]).beta.assistants.list().data == []
    for client in (sdk("sk-not-a-server-key", KEYS[0]), sdk("sk-not-a-server-key"), sdk(user)):
        with pytest.raises(openai.AuthenticationError) as caught:
            client.beta.assistants.list()
        assert caught.value.code == "invalid_api_key"


def test_users_behind_one_server_key_are_kept_apart(sdk):
    alice, bob = f"alice-{uuid.uuid4().hex}", f"bob-{uuid.uuid4().hex}"
    created = sdk(KEYS[0], alice).beta.assistants.create(model="gpt-4o-mini", name="alice's")
    assert sdk(KEYS[0], alice).beta.assistants.retrieve(created.id).name == "alice's"
    for other in (sdk(KEYS[0], bob), sdk(KEYS[0]), sdk(KEYS[1], alice)):
        with pytest.raises(openai.NotFoundError):
            other.beta.assistants.retrieve(created.id)
        assert created.id not in [a.id for a in other.beta.assistants.list().data]


def test_the_provider_key_travels_in_api_key(sdk, upstream):
    marker = uuid.uuid4().hex
    client = sdk(KEYS[0], "some-user", provider_key="sk-provider-" + marker)
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": marker}]
    )
    assert reply.choices[0].message.content == f"Echo: {marker}"
    (sent,) = upstream.requests.containing(marker)
    assert sent.api_key == "sk-provider-" + marker
    assert all(key not in str(sent.headers) for key in KEYS)
