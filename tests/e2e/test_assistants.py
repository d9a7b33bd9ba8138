"""Assistants through the openai SDK: every field round-trips, pagination, limits, isolation."""

from __future__ import annotations

import uuid

import openai
import pytest

FULL = {
    "model": "gpt-4o-mini",
    "name": "Tutor ✓ مرحبا",
    "description": "Helps with maths",
    "instructions": "Answer briefly.",
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
                "strict": True,
            },
        },
        {
            "type": "file_search",
            "file_search": {
                "max_num_results": 7,
                "ranking_options": {"ranker": "auto", "score_threshold": 0.2},
            },
        },
        {"type": "code_interpreter"},
    ],
    "metadata": {"team": "maths", "empty": ""},
    "temperature": 0.3,
    "top_p": 0.9,
    "response_format": {"type": "json_object"},
    "reasoning_effort": "low",
}


def test_create_retrieve_round_trips_every_field(client):
    created = client.beta.assistants.create(**FULL)
    assert created.id.startswith("asst_")
    fetched = client.beta.assistants.retrieve(created.id)
    dumped = fetched.model_dump()
    for field in ("model", "name", "description", "instructions", "metadata", "temperature"):
        assert dumped[field] == FULL[field]
    assert dumped["top_p"] == pytest.approx(0.9)
    assert dumped["response_format"] == {"type": "json_object"}
    assert [t["type"] for t in dumped["tools"]] == ["function", "file_search", "code_interpreter"]
    assert (
        dumped["tools"][0]["function"]["parameters"] == FULL["tools"][0]["function"]["parameters"]
    )
    assert dumped["tools"][1]["file_search"]["max_num_results"] == 7
    assert fetched.created_at == created.created_at
    assert dumped["reasoning_effort"] == "low"


def test_defaults_of_a_minimal_assistant(client):
    created = client.beta.assistants.create(model="gpt-4o")
    assert created.name is None and created.instructions is None
    assert created.tools == [] and created.metadata == {}
    assert created.temperature == 1.0 and created.top_p == 1.0
    assert created.response_format == "auto"


def test_modify_changes_only_given_fields(client):
    created = client.beta.assistants.create(model="gpt-4o", name="before", instructions="keep")
    modified = client.beta.assistants.update(created.id, name="after", metadata={"v": "2"})
    assert modified.name == "after"
    assert modified.instructions == "keep"
    assert client.beta.assistants.retrieve(created.id).metadata == {"v": "2"}


def test_delete_then_gone(client):
    created = client.beta.assistants.create(model="gpt-4o")
    result = client.beta.assistants.delete(created.id)
    assert result.deleted is True and result.id == created.id
    with pytest.raises(openai.NotFoundError):
        client.beta.assistants.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        client.beta.assistants.delete(created.id)


def test_pagination_walks_everything_in_both_orders(client):
    ids = [client.beta.assistants.create(model="gpt-4o", name=f"a{i}").id for i in range(5)]
    newest_first = [a.id for a in client.beta.assistants.list(limit=2)]
    assert newest_first == ids[::-1]
    oldest_first = [a.id for a in client.beta.assistants.list(limit=2, order="asc")]
    assert oldest_first == ids
    page = client.beta.assistants.list(limit=2, order="asc", after=ids[1])
    assert [a.id for a in page.data] == ids[2:4] and page.has_more
    page = client.beta.assistants.list(limit=10, order="asc", before=ids[3])
    assert [a.id for a in page.data] == ids[:3]


def test_empty_list_is_not_an_error(client):
    page = client.beta.assistants.list()
    assert page.data == [] and page.has_more is False


def test_limits_are_enforced(client):
    with pytest.raises(openai.BadRequestError) as error:
        client.beta.assistants.create(model="gpt-4o", metadata={f"k{i}": "v" for i in range(17)})
    assert error.value.body["param"] == "metadata"
    with pytest.raises(openai.BadRequestError):
        client.beta.assistants.create(model="gpt-4o", metadata={"k": "v" * 513})
    with pytest.raises(openai.BadRequestError) as error:
        client.beta.assistants.list(limit=101)
    assert error.value.body["param"] == "limit"
    with pytest.raises(openai.BadRequestError):
        client.beta.assistants.create(model="gpt-4o", temperature=3)


def test_other_tenant_sees_nothing(client, other_client):
    mine = client.beta.assistants.create(model="gpt-4o", name="private")
    with pytest.raises(openai.NotFoundError):
        other_client.beta.assistants.retrieve(mine.id)
    with pytest.raises(openai.NotFoundError):
        other_client.beta.assistants.update(mine.id, name="stolen")
    with pytest.raises(openai.NotFoundError):
        other_client.beta.assistants.delete(mine.id)
    assert mine.id not in [a.id for a in other_client.beta.assistants.list()]
    assert client.beta.assistants.retrieve(mine.id).name == "private"


def test_malformed_id_is_404(client):
    with pytest.raises(openai.NotFoundError):
        client.beta.assistants.retrieve("not-an-id-%%%")


async def test_async_client_round_trip(aclient):
    created = await aclient.beta.assistants.create(model="gpt-4o", name="async")
    assert (await aclient.beta.assistants.retrieve(created.id)).name == "async"
    listed = [a.id async for a in aclient.beta.assistants.list(limit=1)]
    assert created.id in listed


def function_tool(name: str, parameters: dict | None = None) -> dict:
    function: dict = {"name": name}
    if parameters is not None:
        function["parameters"] = parameters
    return {"type": "function", "function": function}


@pytest.mark.parametrize("name", ["bad name!", "", "x" * 65, "naïve", "a.b"])
def test_function_names_are_checked(client, name):
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.assistants.create(model="gpt-4o", tools=[function_tool(name)])
    assert caught.value.param == "tools[0].function.name"
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[function_tool("ok-name_1")])
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.assistants.update(
            assistant.id, tools=[function_tool("fine"), function_tool(name)]
        )
    assert caught.value.param == "tools[1].function.name"
    assert client.beta.assistants.retrieve(assistant.id).tools[0].function.name == "ok-name_1"
    assert [a.id for a in client.beta.assistants.list()] == [assistant.id]


@pytest.mark.parametrize(
    "parameters",
    [
        {"type": "bogus"},
        {"type": "object", "properties": {"n": {"type": "integer", "minimum": "zero"}}},
        {"type": "object", "required": "city"},
        {"$schema": 5, "type": "object"},
    ],
)
def test_function_parameters_must_be_a_json_schema(client, parameters):
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.assistants.create(model="gpt-4o", tools=[function_tool("f", parameters)])
    assert caught.value.param == "tools[0].function.parameters"
    assert caught.value.code == "invalid_function_parameters"
    assert "'f'" in caught.value.message
    assert client.beta.assistants.list().data == []


def test_run_tools_are_checked_like_assistant_tools(client):
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create()
    for tool, param in (
        (function_tool("no spaces"), "tools[0].function.name"),
        (function_tool("f", {"type": "bogus"}), "tools[0].function.parameters"),
    ):
        with pytest.raises(openai.BadRequestError) as caught:
            client.beta.threads.runs.create(thread.id, assistant_id=assistant.id, tools=[tool])
        assert caught.value.param == param
    assert client.beta.threads.runs.list(thread.id).data == []


def test_an_unknown_schema_dialect_is_not_fetched(client, upstream):
    where = f"{upstream.base_url}/schemas/{uuid.uuid4().hex}"
    parameters = {"$schema": where, "type": "object", "properties": {"a": {"$ref": where}}}
    assistant = client.beta.assistants.create(
        model="gpt-4o", tools=[function_tool("f", parameters)]
    )
    assert assistant.tools[0].function.parameters == parameters
    assert not upstream.requests.where(lambda r: "/schemas/" in r.path)
