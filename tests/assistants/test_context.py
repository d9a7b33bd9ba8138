"""The domain's view of a request (``assistants.context.Ctx``)."""

from __future__ import annotations

from typing import Any

from assistants.context import Ctx


def test_options_are_made_on_first_read_and_only_once() -> None:
    made: list[int] = []

    def options_of() -> Any:
        made.append(1)
        return {"embedding_model": "from-headers"}

    ctx = Ctx(store=None, tenant="t", options_of=options_of)  # type: ignore[arg-type]
    assert made == []
    assert ctx.options == {"embedding_model": "from-headers"}
    assert ctx.options == {"embedding_model": "from-headers"}
    assert made == [1]


def test_options_set_later_win_over_the_factory() -> None:
    ctx = Ctx(store=None, tenant="t", options_of=lambda: "never")  # type: ignore[arg-type]
    ctx.options = None
    assert ctx.options is None
    assert ctx.embedding_model == "text-embedding-3-small"
