"""Run poetry against an index that serves PyPI's simple API but not its per-version JSON API.

Poetry's PyPI repository reads ``pypi/<name>/<version>/json``. Some mirrors answer only the
per-project document ``pypi/<name>/json`` (and the simple API). This wrapper serves the
per-version request from the per-project one and leaves ``requires_dist`` empty so that poetry
reads each release's real metadata from its files, as it does for any legacy index. The lock
file it writes is the same as against PyPI itself: names, versions and hashes, no index URLs.

Usage: python scripts/poetry_compat.py <poetry arguments>
"""

from __future__ import annotations

import re
import sys
from typing import Any
from urllib.parse import urljoin

from poetry.console.application import main
from poetry.repositories.pypi_repository import PyPiRepository

_VERSIONED = re.compile(r"^pypi/(?P<name>[^/]+)/(?P<version>[^/]+)/json$")
_original_get = PyPiRepository._get


def _release_document(
    project: dict[str, Any], version: str, document_url: str
) -> dict[str, Any] | None:
    files = project.get("releases", {}).get(version)
    if files is None:
        return None
    # Mirrors may give file addresses relative to the document that lists them.
    files = [{**f, "url": urljoin(document_url, f["url"])} for f in files]
    info = dict(project["info"])
    info["version"] = version
    info["requires_dist"] = None
    info["requires_python"] = next(
        (f.get("requires_python") for f in files if f.get("requires_python")), None
    )
    info["yanked"] = bool(files) and all(f.get("yanked") for f in files)
    info["yanked_reason"] = next((f.get("yanked_reason") for f in files if f.get("yanked")), None)
    return {"info": info, "urls": files}


def _get(self: PyPiRepository, endpoint: str, headers: dict[str, str] | None = None) -> Any:
    found = _original_get(self, endpoint, headers=headers)
    match = _VERSIONED.match(endpoint)
    if found is not None or match is None:
        return found
    project_endpoint = f"pypi/{match['name']}/json"
    project = _original_get(self, project_endpoint)
    if project is None:
        return None
    return _release_document(project, match["version"], self._base_url + project_endpoint)


PyPiRepository._get = _get  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
