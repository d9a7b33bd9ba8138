"""A local stand-in for the Astra DevOps API v2: the endpoints and shapes astra mode relies on.

It runs on 127.0.0.1 (a free port, its own thread) and records every call, so tests can check
what was asked and that the bundle download never carries the token.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BUNDLE_BYTES = b"PK\x03\x04 not really a secure connect bundle"


@dataclass
class StubDatabase:
    name: str
    keyspace: str
    status: str = "ACTIVE"
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    additional: list[str] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "orgId": "organizations/stub",
            "ownerId": "users/stub",
            "info": {
                "name": self.name,
                "keyspace": self.keyspace,
                "cloudProvider": "GCP",
                "region": "us-east1",
                "additionalKeyspaces": list(self.additional),
                "dbType": "vector",
            },
            "creationTime": "2026-01-01T00:00:00Z",
            "status": self.status,
        }


class DevOpsStub:
    def __init__(self) -> None:
        self.orgs: dict[str, list[StubDatabase]] = {}  # token -> its databases
        self.calls: list[tuple[str, str]] = []
        self.download_auth: list[str | None] = []
        self.created: list[dict[str, Any]] = []
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def add_token(self, token: str, *databases: StubDatabase) -> None:
        self.orgs[token] = list(databases)

    def find(self, db_id: str) -> StubDatabase | None:
        return next((db for dbs in self.orgs.values() for db in dbs if db.id == db_id), None)

    def start(self) -> DevOpsStub:
        config = uvicorn.Config(self._app(), host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the DevOps stub did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v2/databases", self._list, methods=["GET"]),
                Route("/v2/databases", self._create, methods=["POST"]),
                Route("/v2/databases/{db_id}", self._get, methods=["GET"]),
                Route("/v2/databases/{db_id}/keyspaces/{name}", self._keyspace, methods=["POST"]),
                Route("/v2/databases/{db_id}/secureBundleURL", self._bundle_url, methods=["POST"]),
                Route("/download/{name}", self._download, methods=["GET"]),
            ]
        )

    def _org(self, request: Request) -> list[StubDatabase] | None:
        self.calls.append((request.method, request.url.path))
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ")
        return self.orgs.get(token) if auth.startswith("Bearer ") else None

    @staticmethod
    def _refused() -> JSONResponse:
        return JSONResponse({"errors": [{"description": "JWT not valid", "ID": 0}]}, 401)

    async def _list(self, request: Request) -> Response:
        org = self._org(request)
        if org is None:
            return self._refused()
        return JSONResponse([db.json() for db in org if db.status != "TERMINATED"])

    async def _get(self, request: Request) -> Response:
        org = self._org(request)
        if org is None:
            return self._refused()
        db = next((d for d in org if d.id == request.path_params["db_id"]), None)
        if db is None:
            return JSONResponse({"errors": [{"description": "database not found"}]}, 404)
        return JSONResponse(db.json())

    async def _create(self, request: Request) -> Response:
        org = self._org(request)
        if org is None:
            return self._refused()
        body = await request.json()
        self.created.append(body)
        db = StubDatabase(name=body["name"], keyspace=body["keyspace"], status="PENDING")
        org.append(db)
        return Response(status_code=201, headers={"Location": db.id})

    async def _keyspace(self, request: Request) -> Response:
        org = self._org(request)
        if org is None:
            return self._refused()
        db = next((d for d in org if d.id == request.path_params["db_id"]), None)
        if db is None:
            return JSONResponse({"errors": [{"description": "database not found"}]}, 404)
        if db.status == "HIBERNATED":
            db.status = "RESUMING"
        elif request.path_params["name"] not in (db.keyspace, *db.additional):
            db.additional.append(request.path_params["name"])
            db.status = "MAINTENANCE"
        return Response(status_code=201)

    async def _bundle_url(self, request: Request) -> Response:
        org = self._org(request)
        if org is None:
            return self._refused()
        db_id = request.path_params["db_id"]
        url = f"{self.base_url}/download/{db_id}.zip?X-Amz-Signature=stub"
        return JSONResponse(
            {"downloadURL": url, "downloadURLInternal": url, "downloadURLMigrationProxy": url}
        )

    async def _download(self, request: Request) -> Response:
        self.calls.append((request.method, request.url.path))
        self.download_auth.append(request.headers.get("authorization"))
        return Response(BUNDLE_BYTES, media_type="application/zip")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
