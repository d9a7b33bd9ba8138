"""The few Astra DevOps API v2 calls astra mode needs, on ``httpx.AsyncClient``.

* ``GET  /v2/databases?include=nonterminated``   list the token's databases
* ``GET  /v2/databases/{id}``                      one database (404: not visible to the token)
* ``POST /v2/databases``                           create; 201 with the new id in ``Location``
* ``POST /v2/databases/{id}/keyspaces/{name}``     add a keyspace (CQL CREATE KEYSPACE is refused)
* ``POST /v2/databases/{id}/secureBundleURL``      a short-lived ``downloadURL`` for the bundle

The token goes only to the DevOps API, never to the bundle's download URL (a presigned link on a
storage host), and never into an error message or log line.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import httpx

from storage.errors import StorageError, StorageUnavailable, TenantAuthError

log = logging.getLogger(__name__)

Database = dict[str, Any]


class DevOpsClient:
    def __init__(self, base_url: str, http: httpx.AsyncClient) -> None:
        self._base = base_url.rstrip("/")
        self._http = http

    async def list_databases(self, token: str) -> list[Database]:
        response = await self._call(
            "GET", "/v2/databases", token, params={"include": "nonterminated"}
        )
        body = response.json()
        return [db for db in body if isinstance(db, dict)] if isinstance(body, list) else []

    async def get_database(self, token: str, db_id: str) -> Database | None:
        response = await self._call("GET", f"/v2/databases/{db_id}", token, missing_ok=True)
        if response.status_code == 404:
            return None
        body = response.json()
        return body if isinstance(body, dict) else None

    async def create_database(
        self, token: str, name: str, keyspace: str, region: str, cloud_provider: str
    ) -> str:
        body = {
            "name": name,
            "keyspace": keyspace,
            "cloudProvider": cloud_provider.upper(),
            "region": region,
            "tier": "serverless",
            "capacityUnits": 1,
            "dbType": "vector",
        }
        response = await self._call("POST", "/v2/databases", token, json=body)
        location = response.headers.get("location", "")
        db_id = location.rstrip("/").rsplit("/", 1)[-1]
        if not db_id:
            raise StorageUnavailable("Astra did not return the new database's id", retry_after=30)
        log.info("created Astra database %s (%s)", db_id, name)
        return db_id

    async def create_keyspace(self, token: str, db_id: str, keyspace: str) -> None:
        await self._call("POST", f"/v2/databases/{db_id}/keyspaces/{keyspace}", token, json={})

    async def bundle_url(self, token: str, db_id: str) -> str:
        response = await self._call("POST", f"/v2/databases/{db_id}/secureBundleURL", token)
        url = response.json().get("downloadURL")
        if not isinstance(url, str) or not url:
            raise StorageUnavailable("Astra returned no secure connect bundle URL", retry_after=30)
        return url

    async def download(self, url: str, dest: Path) -> None:
        """Stream ``url`` to ``dest`` (atomically: a temp file renamed into place, mode 0600)."""
        dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".bundle-")
        try:
            with os.fdopen(fd, "wb") as out:
                async with self._http.stream("GET", url) as response:
                    if response.status_code != 200:
                        raise StorageUnavailable(
                            "could not download the secure connect bundle", retry_after=30
                        )
                    async for block in response.aiter_bytes():
                        out.write(block)
            os.chmod(tmp, 0o600)
            os.replace(tmp, dest)
        except httpx.HTTPError:
            raise StorageUnavailable(
                "could not download the secure connect bundle", retry_after=30
            ) from None
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    async def _call(
        self,
        method: str,
        path: str,
        token: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        missing_ok: bool = False,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            response = await self._http.request(
                method, self._base + path, headers=headers, params=params, json=json
            )
        except httpx.HTTPError as exc:
            log.warning("Astra DevOps API unreachable: %s", type(exc).__name__)
            raise StorageUnavailable(
                "the Astra DevOps API is unreachable", retry_after=10
            ) from None
        status = response.status_code
        if status in (401, 403):
            raise TenantAuthError("the astra-api-token was refused by Astra")
        if status == 404 and missing_ok:
            return response
        if status == 429 or status >= 500:
            log.warning("Astra DevOps API %s answered %s", method, status)
            raise StorageUnavailable("the Astra DevOps API is unavailable", retry_after=10)
        if status >= 400:
            log.warning("Astra DevOps API %s answered %s", method, status)
            raise StorageError(f"the Astra DevOps API refused the request ({status})")
        return response
