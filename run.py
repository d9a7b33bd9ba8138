"""Serve the API: ``python run.py`` (settings from the environment, see README)."""

from __future__ import annotations

import os
import shutil
import tempfile

import uvicorn

from app.settings import Settings


def main() -> None:
    settings = Settings.from_env()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    own_metrics_dir = None
    if settings.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its metrics here; /metrics adds them up. Ours to create and clean.
        own_metrics_dir = tempfile.mkdtemp(prefix="assistants-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = own_metrics_dir
    try:
        uvicorn.run(
            "app.main:serve_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level=settings.log_level.lower(),
            access_log=False,
            timeout_graceful_shutdown=settings.graceful_timeout,
            lifespan="on",
        )
    finally:
        if own_metrics_dir:
            shutil.rmtree(own_metrics_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
