"""The README's migration example runs as written, against a live server."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
CLIENT = 'OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="sk-...")'


def migration_example() -> str:
    text = README.read_text()
    section = text[text.index("## Moving from Assistants to Responses") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_migration_example_runs(client):
    code = migration_example()
    assert CLIENT in code
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code.replace(CLIENT, "_client"), {"_client": client, "__name__": "readme"})
    lines = printed.getvalue().splitlines()
    assert lines[0] == "Echo: What is my name?"
    assert lines[1] == "['user', 'assistant', 'user', 'assistant']"
    assert lines[2] == "['message', 'message', 'message', 'message']"
