"""One extractor per file format; each turns the file's bytes into ``ExtractedText``."""
