# Slim image with the main dependencies only, served by the project's own launcher.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    POETRY_VIRTUALENVS_CREATE=false \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    HOST=0.0.0.0 \
    PORT=8000 \
    ASSISTANTS_STORE=sqlite:////data/assistants.db \
    ASSISTANTS_CACHE_DIR=/app/cache

WORKDIR /app

COPY pyproject.toml poetry.lock poetry.toml ./
COPY scripts/poetry_compat.py scripts/poetry_compat.py
RUN pip install --no-cache-dir "poetry>=2.1,<3" \
    && python scripts/poetry_compat.py install --only main --no-root --no-interaction \
    && pip uninstall -y poetry \
    && rm -rf /root/.cache

COPY app app
COPY handlers handlers
COPY assistants assistants
COPY storage storage
COPY inference inference
COPY outbound outbound
COPY openapi openapi
COPY run.py run.py

# The image sets PYTHONDONTWRITEBYTECODE, so nothing is compiled at run time: compile everything
# once here, or every start compiles every module again (seconds of a cold start). Some packages
# ship data files that are not Python 3; those stay uncompiled (hence `|| true`).
RUN python -m compileall -q -j 0 app handlers assistants storage inference openapi run.py \
    && (python -m compileall -q -j 0 \
        "$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" || true)

RUN useradd --create-home --uid 10001 assistants \
    && mkdir -p /data /app/cache \
    && chown -R assistants /data /app/cache \
    && su assistants -c "python -c 'from openapi import composed_spec; composed_spec()'"

USER assistants
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/v1/health', timeout=2)"

STOPSIGNAL SIGTERM
CMD ["python", "run.py"]
