"""The stored objects of the Assistants API: create, read, modify, delete, list."""
