"""The CQL schema, created idempotently at start (blocking: run it in a worker thread).

Every table is created ``WITH ID = <uuid5 of keyspace.table>``: when several workers start at once
and race on ``CREATE TABLE IF NOT EXISTS``, they all propose the same table id, so the cluster
never ends up with two incarnations of one table (a known hazard of concurrent DDL before 5.1).

See ``docs/cassandra-storage.md`` for why each partition key is what it is.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

from cassandra import InvalidRequest
from cassandra.cluster import Session

from storage.cassandra.cluster import replication_literal

log = logging.getLogger(__name__)

SCHEMA_AGREEMENT_SECONDS = 30

# name -> (columns and primary key, table options)
TABLES: dict[str, tuple[str, str]] = {
    # Documents of one kind under one parent share a partition, ordered by id (= creation time).
    "docs": (
        """tenant text, kind text, parent text, id text,
        version bigint,
        doc text,
        body_id timeuuid,
        attrs map<text, text>,
        lwt boolean,
        PRIMARY KEY ((tenant, kind, parent), id)""",
        "CLUSTERING ORDER BY (id ASC)",
    ),
    # Bodies too large for a multi-partition logged batch, written before the batch that points at
    # them; same partition key as `docs` so deleting a parent's children stays one partition delete.
    "doc_bodies": (
        """tenant text, kind text, parent text, id text, body_id timeuuid, doc text,
        PRIMARY KEY ((tenant, kind, parent), id, body_id)""",
        "",
    ),
    # Lookup rows for FILTERABLE attributes: a filtered list is a slice of (value, id).
    "doc_index": (
        """tenant text, kind text, parent text, attr text, value text, id text,
        PRIMARY KEY ((tenant, kind, parent, attr), value, id)""",
        "",
    ),
    # Blob manifest: written last, so a blob is readable only once all its parts are stored.
    "blobs": (
        """tenant text, blob_id text, gen timeuuid, size bigint, parts int, part_size int,
        PRIMARY KEY ((tenant, blob_id))""",
        "",
    ),
    # Blob parts of one write generation, 64 parts (64 MiB) per partition.
    "blob_parts": (
        """tenant text, blob_id text, gen timeuuid, bucket int, seq int, data blob,
        PRIMARY KEY ((tenant, blob_id, gen, bucket), seq)""",
        "",
    ),
    # Which chunks_d{N} table holds a vector store's chunks; `postings` is true for stores made
    # since chunk_terms exists (older stores are keyword-searched through the chunk table).
    "vector_stores": (
        """tenant text, vector_store_id text, dimensions int, postings boolean,
        PRIMARY KEY ((tenant, vector_store_id))""",
        "",
    ),
    # Approximate chunk count per store: picks exact scan vs ANN for a search.
    "vector_store_counts": (
        """tenant text, vector_store_id text, chunks counter,
        PRIMARY KEY ((tenant, vector_store_id))""",
        "",
    ),
    # Keyword postings: one term's chunks are a slice. Same partition key as chunks_d{N}, so a
    # chunk's postings are written in the same mutation as the chunk.
    "chunk_terms": (
        """tenant text, vector_store_id text, term text, file_id text, idx int, tf int,
        PRIMARY KEY ((tenant, vector_store_id), term, file_id, idx)""",
        "",
    ),
}
# Columns added after the first release, per table: added where an existing table lacks them.
COLUMNS_ADDED: dict[str, dict[str, str]] = {"vector_stores": {"postings": "boolean"}}


def chunk_table(dimensions: int) -> str:
    return f"chunks_d{int(dimensions)}"


# Columns added after the first release: created on tables that lack them.
CHUNK_COLUMNS_ADDED = {"norm": "float", "terms": "map<text, int>"}
# Embeddings are stored as unit vectors (``norm`` keeps the length), where the dot product is the
# cosine and costs the index about half as much CPU per insert. Tables made before keep cosine.
SIMILARITY = "dot_product"
# Candidates the vector index weighs when it links a new row into its graph (Cassandra's default:
# 100). That search is most of the insert's CPU (the flush's quantization is as much again, and
# unchanged); with 40, 20,000 x 1536 loaded 1.28-1.46x faster at recall@10 0.996-1.000 and the
# same search time (20 lost recall: 0.961). Sustained loads stay bound by the flushes.
# Only a node started with -Dcassandra.sai.vector.allow_custom_parameters=true (as
# scripts/cassandra does) accepts it; on another the index is created with the node's defaults.
CONSTRUCTION_BEAM_WIDTH = 40


def chunk_table_columns(dimensions: int) -> str:
    return f"""tenant text, vector_store_id text, file_id text, idx int,
        text text, metadata text, embedding vector<float, {int(dimensions)}>,
        norm float, terms map<text, int>,
        PRIMARY KEY ((tenant, vector_store_id), file_id, idx)"""


def table_id(keyspace: str, table: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"cql:{keyspace}.{table}")


def create_table_cql(
    keyspace: str, table: str, columns: str, options: str = "", *, with_id: bool = True
) -> str:
    clauses = [f"ID = {table_id(keyspace, table)}"] if with_id else []
    if options:
        clauses.append(options)
    with_clause = f" WITH {' AND '.join(clauses)}" if clauses else ""
    return f"CREATE TABLE IF NOT EXISTS {keyspace}.{table} ({columns}){with_clause}"


def ensure_schema(session: Session, keyspace: str, replication: Mapping[str, str] | None) -> None:
    """Create the keyspace and the tables.

    ``replication`` None means Astra: the keyspace exists already (made through the DevOps API)
    and tables get no ``WITH ID`` (Astra's control plane owns table ids).
    """
    if replication is not None:
        _ddl(
            session,
            f"CREATE KEYSPACE IF NOT EXISTS {keyspace} "
            f"WITH replication = {replication_literal(replication)}",
        )
    for table, (columns, options) in TABLES.items():
        cql = create_table_cql(keyspace, table, columns, options, with_id=replication is not None)
        _ddl(session, cql)
    for table, added in COLUMNS_ADDED.items():
        _add_columns(session, keyspace, table, added)
    _agree(session)


def ensure_chunk_table(
    session: Session, keyspace: str, dimensions: int, *, with_id: bool = True
) -> str:
    """Create ``chunks_d{dimensions}``, its columns and SAI indexes where missing.

    Returns the similarity function of the table's vector index (``dot_product``, or ``cosine``
    for a table created before embeddings were stored normalized).
    """
    table = chunk_table(dimensions)
    columns = chunk_table_columns(dimensions)
    _ddl(session, create_table_cql(keyspace, table, columns, with_id=with_id))
    _add_columns(session, keyspace, table, CHUNK_COLUMNS_ADDED)
    try:
        _ddl(session, vector_index_cql(keyspace, table, tuned=True))
    except InvalidRequest as refused:  # the node does not allow custom graph parameters
        log.info("vector index of %s with the node's default parameters: %s", table, refused)
        _ddl(session, vector_index_cql(keyspace, table, tuned=False))
    # Keyword search in stores made before chunk_terms: `terms CONTAINS KEY ?` in the partition.
    _ddl(
        session,
        f"CREATE CUSTOM INDEX IF NOT EXISTS {table}_terms ON {keyspace}.{table} (KEYS(terms)) "
        "USING 'StorageAttachedIndex'",
    )
    _agree(session)
    return index_similarity(session, keyspace, table)


def vector_index_cql(keyspace: str, table: str, *, tuned: bool) -> str:
    """The chunk table's vector index; ``tuned``: with ``CONSTRUCTION_BEAM_WIDTH``."""
    options = {"similarity_function": SIMILARITY}
    if tuned:
        options["construction_beam_width"] = str(CONSTRUCTION_BEAM_WIDTH)
    literal = ", ".join(f"'{name}': '{value}'" for name, value in options.items())
    return (
        f"CREATE CUSTOM INDEX IF NOT EXISTS {table}_embedding ON {keyspace}.{table} (embedding) "
        f"USING 'StorageAttachedIndex' WITH OPTIONS = {{{literal}}}"
    )


def index_similarity(session: Session, keyspace: str, table: str) -> str:
    row = session.execute(
        "SELECT options FROM system_schema.indexes"
        " WHERE keyspace_name = %s AND table_name = %s AND index_name = %s",
        (keyspace, table, f"{table}_embedding"),
    ).one()
    options = dict(row[0]) if row is not None and row[0] else {}
    return str(options.get("similarity_function", "cosine")).lower()


def existing_chunk_dimensions(session: Session, keyspace: str) -> list[int]:
    """Dimensions that already have a chunk table (read from the schema tables)."""
    rows = session.execute(
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s", (keyspace,)
    )
    found: list[int] = []
    for row in rows:
        name = row[0]
        if name.startswith("chunks_d") and name[len("chunks_d") :].isdigit():
            found.append(int(name[len("chunks_d") :]))
    return sorted(found)


def _add_columns(session: Session, keyspace: str, table: str, columns: Mapping[str, str]) -> None:
    present = {
        row[0]
        for row in session.execute(
            "SELECT column_name FROM system_schema.columns"
            " WHERE keyspace_name = %s AND table_name = %s",
            (keyspace, table),
        )
    }
    for column, cql_type in columns.items():
        if column not in present:
            try:
                _ddl(session, f"ALTER TABLE {keyspace}.{table} ADD {column} {cql_type}")
            except InvalidRequest:  # another worker added it meanwhile
                log.debug("column %s.%s already added", table, column)


def _ddl(session: Session, cql: str) -> None:
    log.debug("schema: %s", cql.split("(")[0].strip())
    session.execute(cql, timeout=SCHEMA_AGREEMENT_SECONDS)


def _agree(session: Session) -> None:
    if not session.cluster.control_connection.wait_for_schema_agreement(
        wait_time=SCHEMA_AGREEMENT_SECONDS
    ):
        log.warning("schema versions did not agree within %ss", SCHEMA_AGREEMENT_SECONDS)
