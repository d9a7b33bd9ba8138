"""Vector stores: their files, file batches, the background ingestion pipeline and its recovery."""
