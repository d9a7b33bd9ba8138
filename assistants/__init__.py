"""Domain logic that is neither HTTP nor storage: resources, runs, retrieval, ingestion."""
