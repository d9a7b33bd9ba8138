"""LiteLLM's own proxy (``litellm --config``) in front of an upstream, for side-by-side benches.

The proxy lives in its own venv (``bash scripts/litellm-proxy-venv`` creates it; the project's
venv cannot hold ``litellm[proxy]``). ``proxy_venv()`` finds it, ``LiteLLMProxy`` runs it on
127.0.0.1 with one uvicorn worker, a model list pointing every given model name at the upstream
as an OpenAI-compatible ``api_base``, no database, no network (local cost map, no telemetry) and
no access log (our server runs without one too).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
MASTER_KEY = "sk-bench-master"
CREATE_HINT = "bash scripts/litellm-proxy-venv"


def proxy_venv() -> Path:
    """Where scripts/litellm-proxy-venv puts the proxy's venv (same rule as the script)."""
    if os.environ.get("LITELLM_PROXY_VENV"):
        return Path(os.environ["LITELLM_PROXY_VENV"])
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "assistants-bench" / "litellm-proxy-venv"


def proxy_executable() -> Path | None:
    executable = proxy_venv() / "bin" / "litellm"
    return executable if executable.exists() else None


def proxy_version() -> str:
    python = proxy_venv() / "bin" / "python"
    out = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return out.stdout.strip() or "?"


class LiteLLMProxy:
    """``litellm --config`` in its own process group; ``stop()`` ends exactly that group."""

    def __init__(self, workdir: Path, port: int, upstream_base: str, models: list[str]) -> None:
        self.workdir = workdir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.upstream_base = upstream_base
        self.models = models
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "litellm-proxy.log"

    def _write_config(self) -> Path:
        # JSON is YAML: no yaml dependency needed here.
        config = {
            "model_list": [
                {
                    "model_name": name,
                    "litellm_params": {
                        "model": f"openai/{name}",
                        "api_base": self.upstream_base,
                        "api_key": "sk-bench",
                    },
                }
                for name in self.models
            ],
            "litellm_settings": {"telemetry": False},
        }
        path = self.workdir / "litellm-proxy.yaml"
        path.write_text(json.dumps(config, indent=2))
        logging_config = {
            "version": 1,
            "disable_existing_loggers": False,
            "loggers": {
                "uvicorn.access": {"level": "WARNING"},
                "uvicorn.error": {"level": "WARNING"},
            },
        }
        (self.workdir / "litellm-proxy-logging.json").write_text(json.dumps(logging_config))
        return path

    def start(self, timeout: float = 120) -> LiteLLMProxy:
        executable = proxy_executable()
        if executable is None:
            raise RuntimeError(f"no LiteLLM proxy venv; create it with `{CREATE_HINT}`")
        config = self._write_config()
        env = {
            **os.environ,
            "LITELLM_MASTER_KEY": MASTER_KEY,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_LOG": "ERROR",
            "LITELLM_TELEMETRY": "False",
            "DISABLE_SCHEMA_UPDATE": "True",
        }
        env.pop("DATABASE_URL", None)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    str(executable),
                    "--config", str(config),
                    "--host", "127.0.0.1",
                    "--port", str(self.port),
                    "--num_workers", "1",
                    "--log_config", str(self.workdir / "litellm-proxy-logging.json"),
                ],
                cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(self.url + "/health/liveliness", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        tail = self.log_path.read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"the LiteLLM proxy did not start:\n{tail}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def available() -> bool:
    return proxy_executable() is not None
