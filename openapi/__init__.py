"""The served OpenAPI document: OpenAI's official spec plus this project's overlay."""

from openapi.compose import composed_document, composed_spec

__all__ = ["composed_document", "composed_spec"]
