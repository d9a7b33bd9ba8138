"""Files: ``/v1/files``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.responses import StreamingResponse

from app.call import Call
from assistants.files import content, service
from handlers.registry import operation


@operation("createFile")
async def create_file(call: Call) -> Any:
    upload = call.body["file"]
    return await service.create_file(
        await call.ctx(),
        upload.file,
        upload.filename or "",
        call.body["purpose"],
        call.body.get("expires_after"),
    )


@operation("listFiles")
async def list_files(call: Call) -> Any:
    return await service.list_files(await call.ctx(), call.query)


@operation("retrieveFile")
async def retrieve_file(call: Call) -> Any:
    return await service.get_file(await call.ctx(), call.path["file_id"])


@operation("deleteFile")
async def delete_file(call: Call) -> Any:
    return await service.delete_file(await call.ctx(), call.path["file_id"])


@operation("downloadFile")
async def download_file(call: Call) -> Any:
    found = await content.open_content(await call.ctx(), call.path["file_id"])
    headers = {
        # Set explicitly so that starlette adds no charset to text types: these are raw bytes.
        "content-type": found.media_type,
        "content-length": str(found.size),
        "content-disposition": f"attachment; filename*=UTF-8''{quote(found.filename, safe='')}",
    }
    return StreamingResponse(found.pieces, headers=headers)
