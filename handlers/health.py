"""``GET /v1/health``: the server is up, and whether its database answers."""

from __future__ import annotations

import os
from typing import Any

from app.call import Call
from handlers.registry import operation


@operation("getHealth")
async def get_health(call: Call) -> Any:
    provider = call.state.store_provider
    healthy = provider is None or await provider.healthy()
    body = {
        "status": "ok" if healthy else "degraded",
        "store": call.state.settings.store.split(":", 1)[0],
        "worker": os.getpid(),
    }
    return body if healthy else (body, 503)
