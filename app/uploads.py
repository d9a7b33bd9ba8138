"""Multipart request bodies (file uploads), parsed once and streamed to temporary files.

A form validator that keeps every received message in memory to replay it (Connexion's does)
holds the whole file of an upload of hundreds of megabytes. This one spools file parts to temporary
files as they arrive (starlette's parser keeps at most 1 MiB of a part in memory), stops at the
configured size limit with 413, validates the other fields against the spec, and passes the parsed
form on.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from typing import Any

from jsonschema import Draft202012Validator
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.types import Receive, Scope

from app.auth import STATE_KEY
from app.errors import InvalidRequest, PayloadTooLarge
from app.validation import BodyValidator, compiled, content_length, invalid_from

FORM_KEY = "assistants.form"
_KEY_PART = re.compile(r"\[([^\]]*)\]")


def nest_form_key(key: str) -> list[str]:
    """``expires_after[anchor]`` -> ["expires_after", "anchor"]; ``x[]`` -> ["x", ""]."""
    head = key.split("[", 1)[0]
    return [head, *_KEY_PART.findall(key[len(head) :])]


def fields_from_form(form: FormData) -> dict[str, Any]:
    """Plain values of a form (files excluded), PHP-style keys nested as the openai SDK sends."""
    fields: dict[str, Any] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            continue
        path = nest_form_key(key)
        append = len(path) > 1 and path[-1] == ""
        if append:
            path = path[:-1]
        target = fields
        for part in path[:-1]:
            target = target.setdefault(part, {})
        if append:
            target.setdefault(path[-1], []).append(_scalar(value))
        else:
            target[path[-1]] = _scalar(value)
    return fields


def file_fields(schema: dict) -> list[str]:
    """The form fields the schema wants as files (``format: binary``)."""
    properties = schema.get("properties") or {}
    return [
        name
        for name, spec in properties.items()
        if isinstance(spec, dict) and spec.get("format") == "binary"
    ]


def _scalar(value: str) -> Any:
    if value.isdigit():
        return int(value)
    return value


class StreamingMultipartValidator(BodyValidator):
    async def wrap_receive(self, receive: Receive, *, scope: Scope, encoding: str) -> Receive:
        state = scope.get(STATE_KEY)
        limit = state.settings.max_upload_bytes if state is not None else 512 * 1024 * 1024
        declared = content_length(scope)
        if declared is not None and declared > limit + 64 * 1024:
            raise PayloadTooLarge(f"The upload is larger than the limit of {limit} bytes.")

        async def stream() -> AsyncGenerator[bytes, None]:
            received = 0
            more = True
            while more:
                message = await receive()
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit + 64 * 1024:
                    raise PayloadTooLarge(f"The upload is larger than the limit of {limit} bytes.")
                more = message.get("more_body", False)
                yield chunk

        headers = Headers(scope=scope)
        if "boundary=" not in headers.get("content-type", ""):
            raise InvalidRequest(
                "Uploads must be sent as multipart/form-data with a boundary.", param="file"
            )
        parser = MultiPartParser(headers, stream(), max_files=10, max_fields=100)
        try:
            form = await parser.parse()
        except MultiPartException as exc:
            raise InvalidRequest(f"Could not parse the multipart body: {exc.message}") from None
        fields = fields_from_form(form)
        for name in file_fields(self._resolve(self.schema)):
            if name in fields:  # a part without a filename arrives as a plain field
                await form.close()
                raise InvalidRequest(
                    f"Invalid '{name}': expected a file, but got a plain form field. Send it as a "
                    f"file part with a filename (curl: -F {name}=@path).",
                    param=name,
                )
        files = {k: v for k, v in form.multi_items() if isinstance(v, UploadFile)}
        for name, upload in files.items():
            if upload.size is not None and upload.size > limit:
                await form.close()
                raise PayloadTooLarge(f"The upload is larger than the limit of {limit} bytes.")
            fields[name] = ""
        error = compiled(self.schema, Draft202012Validator).first_error(fields)
        if error is not None:
            await form.close()
            raise invalid_from(error)
        for name, upload in files.items():
            fields[name] = upload
        extensions = scope.setdefault("extensions", {})
        extensions[FORM_KEY] = form
        extensions["assistants.body"] = fields

        async def empty() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        return empty
