"""The `astra-assistants` client (PyPI astra-assistants==2.5.5) against a live server on SQLite.

That client needs openai<2 and httpx<0.28, so it runs in its own poetry environment,
tests/compat/astra/.venv, built here (once, and again when its lock changes) with
`python scripts/poetry_compat.py -C tests/compat/astra install --no-root`. The script
tests/compat/astra/client_script.py drives the server with the patched SDK and prints a JSON
summary of what it saw; these tests check that summary, and that another Astra token (another
tenant) does not see the first one's thread.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

REPO = Path(__file__).resolve().parents[2]
COMPAT = Path(__file__).resolve().parent / "astra"
VENV = COMPAT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".compat-lock-sha256"
SCRIPT = COMPAT / "client_script.py"

TOKEN = "AstraCS:compat-test-tenant-a"
OTHER_TOKEN = "AstraCS:compat-test-tenant-b"
DUMMY_OPENAI_KEY = "sk-astra-compat-dummy"
# From client_script.py: what it sends and so what it must read back.
CHAT_PROMPT = "Say hello to the astra compat test"
EMBEDDING_MODEL = "text-embedding-3-large"
UPDATED_MESSAGE = "What is the launch code of project Falcon?"
FILE_MARKER = "7421-kestrel"

# Variables of the developer's environment that must not reach the client or poetry.
_DROPPED_PREFIXES = ("AWS_", "ASTRA_", "OPENAI_", "AZURE_", "POETRY_VIRTUALENVS_")
_DROPPED_SUFFIXES = ("_API_KEY", "_API_BASE", "_API_BASE_URL", "_BASE_URL")
_DROPPED = {"VIRTUAL_ENV", "CONDA_PREFIX", "POETRY_ACTIVE", "PYTHONPATH", "PYTHONHOME"}
_DROPPED |= {"BASE_URL", "base_url"}  # the client's own default server address


def _clean_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _DROPPED
        and not k.upper().startswith(_DROPPED_PREFIXES)
        and not k.upper().endswith(_DROPPED_SUFFIXES)
    }
    # An activated venv (the main one) must not be the one poetry installs into or runs from.
    active = os.environ.get("VIRTUAL_ENV")
    if active:
        bin_dir = str(Path(active) / "bin")
        env["PATH"] = os.pathsep.join(
            p for p in env.get("PATH", "").split(os.pathsep) if p != bin_dir
        )
    return env


def _lock_digest() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "poetry.lock"):
        digest.update((COMPAT / name).read_bytes())
    return digest.hexdigest()


def _poetry_python(env: dict[str, str]) -> str:
    """An interpreter that has poetry (the main venv has none; `make install` puts it in
    python3.11)."""
    candidates = [
        sys.executable,
        *(shutil.which(n, path=env.get("PATH")) for n in ("python3.11", "python3", "python")),
    ]
    for candidate in dict.fromkeys(c for c in candidates if c):
        probe = subprocess.run(
            [candidate, "-c", "import poetry.console.application"],
            env=env,
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            return candidate
    pytest.fail("no python with poetry on PATH (run `make install`, which installs it)")


@pytest.fixture(scope="session")
def astra_python() -> Path:
    """The compat environment's python, installed from tests/compat/astra/poetry.lock."""
    digest = _lock_digest()
    fresh = PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == digest
    if not fresh:
        env = _clean_env()
        command = [
            _poetry_python(env), "scripts/poetry_compat.py", "-C", "tests/compat/astra",
            "install", "--no-root", "--no-interaction",
        ]  # fmt: skip
        done = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=1500, check=False
        )
        if done.returncode != 0 or not PYTHON.exists():
            pytest.fail(
                f"installing the astra compat env failed ({done.returncode}):\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        STAMP.write_text(digest + "\n")
    return PYTHON


def run_client(
    python: Path, server: Any, upstream: Any, token: str, cwd: Path, *extra: str
) -> dict[str, Any]:
    env = _clean_env()
    env.update(
        ASTRA_DB_APPLICATION_TOKEN=token,
        OPENAI_API_KEY=DUMMY_OPENAI_KEY,
        ASTRA_ASSISTANTS_QUIET="1",
        LITELLM_LOCAL_MODEL_COST_MAP="True",
    )
    command = [
        str(python),
        str(SCRIPT),
        "--server",
        server.url,
        "--upstream",
        upstream.base_url,
        *extra,
    ]
    # cwd: the client loads ./.env at import, so it runs where there is none.
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    try:
        summary = json.loads(done.stdout)
    except ValueError:
        pytest.fail(
            f"client script gave no JSON (exit {done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
        )
    summary["exit_code"] = done.returncode
    return summary


@pytest.fixture(scope="module")
def summary(astra_python, sqlite_server, upstream, tmp_path_factory) -> dict[str, Any]:
    return run_client(
        astra_python, sqlite_server, upstream, TOKEN, tmp_path_factory.mktemp("astra-client")
    )


def step(summary: dict[str, Any], name: str) -> dict[str, Any]:
    """The step's observations; the test fails with the step's error when it failed."""
    result = summary["steps"].get(name)
    assert result is not None, f"the script ran no step {name!r}"
    if not result.get("ok"):
        pytest.fail(f"step {name!r} failed:\n{json.dumps(result, indent=2)}")
    return result


def test_every_step_succeeded(summary):
    failed = {name: r for name, r in summary["steps"].items() if not r.get("ok")}
    assert not failed, "failed steps:\n" + json.dumps(failed, indent=2)
    assert summary["all_ok"] and summary["exit_code"] == 0


def test_patch_keeps_the_base_url_header(summary):
    assert summary["base_url_header_kept_by_patch"]
    assert summary["base_url_header_kept_at_end"]
    assert all(r["base_url_matches"] for r in summary["requests"]), summary["requests"]


def test_stateful_requests_carry_the_astra_token(summary):
    # The patch adds `astra-api-token` on its first beta/files call; a chat completion made
    # before that goes with the bearer (the dummy OpenAI key) alone, which is as the client does.
    stateful = [r for r in summary["requests"] if r["path"] != "/v1/chat/completions"]
    assert stateful and all(r["astra_token_matches"] for r in stateful), stateful


def test_chat_completion_echoes_through_the_upstream(summary):
    chat = step(summary, "chat")
    assert chat["answer"] == f"Echo: {CHAT_PROMPT}"
    assert chat["finish_reason"] == "stop"


def test_upload_sends_and_reads_back_the_embedding_model(summary):
    upload = step(summary, "upload")
    [post] = [r for r in summary["requests"] if r["method"] == "POST" and r["path"] == "/v1/files"]
    assert post["embedding_model_header"] == EMBEDDING_MODEL
    assert upload["embedding_model"] == EMBEDDING_MODEL
    assert upload["embedding_model_on_retrieve"] == EMBEDDING_MODEL
    assert upload["embedding_model_in_list"] == EMBEDDING_MODEL


def test_vector_store_processes_the_file(summary):
    store = step(summary, "vector_store")
    assert store["file_status"] == "completed", store
    assert store["file_counts"]["completed"] == 1


def test_assistant_with_file_search(summary):
    assistant = step(summary, "assistant")
    assert assistant["tools"] == ["file_search"]
    assert assistant["vector_store_ids"] == [summary["steps"]["vector_store"]["id"]]


def test_thread_list_has_the_thread(summary):
    listed = step(summary, "list_threads")
    assert listed["contains_thread"], listed


def test_message_content_update_reads_back(summary):
    updated = step(summary, "update_message")
    assert updated["returned_text"] == UPDATED_MESSAGE
    assert updated["read_back_text"] == UPDATED_MESSAGE


def test_run_completes_with_the_answer(summary):
    run = step(summary, "run")
    assert run["status"] == "completed", run
    assert run["answer"] is not None and run["answer"].startswith(f"Echo: {UPDATED_MESSAGE}"), run
    # The client's run wrapper sends the file's embedding_model along with the run.
    [create] = [
        r for r in summary["requests"] if r["method"] == "POST" and r["path"].endswith("/runs")
    ]
    assert create.get("embedding_model_header") == EMBEDDING_MODEL, create


def test_files_are_embedded_with_the_uploaders_embedding_model(summary, upstream):
    step(summary, "vector_store")
    step(summary, "run")
    embeddings = [r for r in upstream.requests if r.path.endswith("/embeddings")]
    ingested = {r.model for r in embeddings if FILE_MARKER in r.text()}
    queried = {r.model for r in embeddings if r.text() == UPDATED_MESSAGE}
    assert ingested == {EMBEDDING_MODEL}
    assert queried == {EMBEDDING_MODEL}


def test_another_astra_token_does_not_see_the_thread(
    summary, astra_python, sqlite_server, upstream, tmp_path
):
    thread_id = step(summary, "thread")["id"]
    other = run_client(
        astra_python, sqlite_server, upstream, OTHER_TOKEN, tmp_path,
        "--mode", "isolation", "--thread-id", thread_id,
    )  # fmt: skip
    listed = step(other, "list_threads")
    assert not listed["contains_thread"] and listed["ids"] == []
    assert step(other, "retrieve_thread")["status"] == 404
