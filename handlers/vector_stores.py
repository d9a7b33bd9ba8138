"""Vector stores, their files, file batches and search: ``/v1/vector_stores``."""

from __future__ import annotations

from typing import Any

from app.call import Call
from assistants.retrieval import store_search
from assistants.vector_stores import batches, files, service
from handlers.registry import operation


@operation("createVectorStore")
async def create_vector_store(call: Call) -> Any:
    return await service.create_vector_store(await call.ctx(), call.body or {})


@operation("getVectorStore")
async def get_vector_store(call: Call) -> Any:
    return await service.get_vector_store(await call.ctx(), call.path["vector_store_id"])


@operation("modifyVectorStore")
async def modify_vector_store(call: Call) -> Any:
    return await service.modify_vector_store(
        await call.ctx(), call.path["vector_store_id"], call.body or {}
    )


@operation("deleteVectorStore")
async def delete_vector_store(call: Call) -> Any:
    return await service.delete_vector_store(await call.ctx(), call.path["vector_store_id"])


@operation("listVectorStores")
async def list_vector_stores(call: Call) -> Any:
    return await service.list_vector_stores(await call.ctx(), call.query)


@operation("createVectorStoreFile")
async def create_vector_store_file(call: Call) -> Any:
    return await files.create_vector_store_file(
        await call.ctx(), call.path["vector_store_id"], call.body
    )


@operation("getVectorStoreFile")
async def get_vector_store_file(call: Call) -> Any:
    return await files.get_vector_store_file(
        await call.ctx(), call.path["vector_store_id"], call.path["file_id"]
    )


@operation("updateVectorStoreFileAttributes")
async def update_vector_store_file(call: Call) -> Any:
    return await files.update_vector_store_file(
        await call.ctx(), call.path["vector_store_id"], call.path["file_id"], call.body
    )


@operation("deleteVectorStoreFile")
async def delete_vector_store_file(call: Call) -> Any:
    return await files.delete_vector_store_file(
        await call.ctx(), call.path["vector_store_id"], call.path["file_id"]
    )


@operation("listVectorStoreFiles")
async def list_vector_store_files(call: Call) -> Any:
    return await files.list_files(await call.ctx(), call.path["vector_store_id"], call.query)


@operation("retrieveVectorStoreFileContent")
async def retrieve_vector_store_file_content(call: Call) -> Any:
    return await files.file_content(
        await call.ctx(), call.path["vector_store_id"], call.path["file_id"]
    )


@operation("createVectorStoreFileBatch")
async def create_file_batch(call: Call) -> Any:
    return await batches.create_batch(await call.ctx(), call.path["vector_store_id"], call.body)


@operation("getVectorStoreFileBatch")
async def get_file_batch(call: Call) -> Any:
    return await batches.get_batch(
        await call.ctx(), call.path["vector_store_id"], call.path["batch_id"]
    )


@operation("cancelVectorStoreFileBatch")
async def cancel_file_batch(call: Call) -> Any:
    return await batches.cancel_batch(
        await call.ctx(), call.path["vector_store_id"], call.path["batch_id"]
    )


@operation("listFilesInVectorStoreBatch")
async def list_batch_files(call: Call) -> Any:
    return await batches.list_batch_files(
        await call.ctx(), call.path["vector_store_id"], call.path["batch_id"], call.query
    )


@operation("searchVectorStore")
async def search_vector_store(call: Call) -> Any:
    return await store_search.search_vector_store(
        await call.ctx(), call.path["vector_store_id"], call.body
    )
