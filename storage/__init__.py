"""Persistence: the interface (``storage.base``), its errors and the backends behind one factory.

``open_store(url)`` builds the provider for an ``ASSISTANTS_STORE`` URL; see docs/storage.md.
"""

from storage.factory import open_store, provider_for
from storage.settings import DEFAULT_STORE_URL, parse_store_url, store_url

__all__ = ["DEFAULT_STORE_URL", "open_store", "parse_store_url", "provider_for", "store_url"]
