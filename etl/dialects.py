"""The SQL that differs between databases, in one place.

etl writes a little SQL of its own around a JDBC read: the watermark bounds of an incremental
load (:mod:`etl.incremental`) and the partition plan of a parallel read (:mod:`etl.partitioning`).
Everything in it that depends on the database lives here, one :class:`Dialect` per vendor (the
JDBC URL's subprotocol), so supporting another database means filling in one more dialect.

A field left ``None`` is something etl cannot do on that database; the callers fall back (an
incremental lookback on a date column is refused, a read that needs key discovery, statistics or
hashing is read with one connection).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from urllib.parse import quote as percent_encoded

_POSTGRESQL_CATALOG = """
SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
       k.position AS key_position,
       (SELECT array_to_json(s.histogram_bounds::text::text[])::text
          FROM pg_catalog.pg_stats s
         WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname
         ORDER BY s.inherited DESC LIMIT 1) AS bounds,
       NULL AS indexed_rows
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN (SELECT key.attnum, key.position
               FROM pg_catalog.pg_index i,
                    unnest(i.indkey::int2[]) WITH ORDINALITY AS key(attnum, position)
              WHERE i.indrelid = to_regclass({table}) AND i.indisprimary) k
    ON k.attnum = a.attnum
 WHERE c.oid = to_regclass({table}) AND (k.position IS NOT NULL OR a.attname = {column})
 ORDER BY k.position
"""
"""pg_catalog, which every role may read, unlike ``information_schema.table_constraints``
(filtered to tables the role owns or may modify).  ``pg_stats`` shows the histogram of a
column the role may SELECT (not with row-level security active for it); ``to_regclass`` reads
the name as ``FROM`` does (quoting, ``search_path``)."""

_MYSQL_CATALOG = """
SELECT c.COLUMN_NAME AS name, c.DATA_TYPE AS type, k.ORDINAL_POSITION AS key_position,
       NULL AS bounds,
       (SELECT t.TABLE_ROWS FROM information_schema.TABLES t
         WHERE t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
           AND EXISTS (SELECT 1 FROM information_schema.STATISTICS s
                        WHERE s.TABLE_SCHEMA = c.TABLE_SCHEMA AND s.TABLE_NAME = c.TABLE_NAME
                          AND s.COLUMN_NAME = c.COLUMN_NAME AND s.SEQ_IN_INDEX = 1
                          AND s.INDEX_TYPE = 'BTREE' AND s.SUB_PART IS NULL)
       ) AS indexed_rows
  FROM information_schema.COLUMNS c
  LEFT JOIN information_schema.KEY_COLUMN_USAGE k
    ON k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
   AND k.COLUMN_NAME = c.COLUMN_NAME AND k.CONSTRAINT_NAME = 'PRIMARY'
 WHERE c.TABLE_SCHEMA = COALESCE({schema}, DATABASE()) AND c.TABLE_NAME = {name}
   AND (k.ORDINAL_POSITION IS NOT NULL OR c.COLUMN_NAME = {column})
 ORDER BY k.ORDINAL_POSITION
"""
"""information_schema, which on MySQL and MariaDB shows the columns and keys of every table
the user has any privilege on.  No statistics (``bounds`` is NULL): MariaDB keeps its histograms
in ``mysql.column_stats``, which a user with SELECT on its own database only may not read
(error 1142; and none for a unique key: MariaDB 10.11), and MySQL 8's
``information_schema.COLUMN_STATISTICS`` does not exist on MariaDB, which ``jdbc:mysql:`` URLs
also reach, so naming it would fail the query there.  Instead ``indexed_rows`` is the table's
row estimate (``TABLES.TABLE_ROWS``, shown to the same user; NULL for a view) when the column
leads an index (``STATISTICS.SEQ_IN_INDEX`` 1; InnoDB's primary key is its clustered index), so
that the column's quantiles can be read off that index (``Dialect.index_quantile``): a B-tree
on the whole column, as a hash, full-text or prefix index cannot return it in order."""

_STANDARD_CATALOG = """
SELECT c.column_name AS name, c.data_type AS type, k.ordinal_position AS key_position,
       NULL AS bounds, NULL AS indexed_rows
  FROM information_schema.columns c
  LEFT JOIN (information_schema.key_column_usage k
             JOIN information_schema.table_constraints t
               ON t.constraint_name = k.constraint_name AND t.table_schema = k.table_schema
              AND t.table_name = k.table_name AND t.constraint_type = 'PRIMARY KEY')
    ON k.table_schema = c.table_schema AND k.table_name = c.table_name
   AND k.column_name = c.column_name
 WHERE lower(c.table_name) = lower({name})
   AND ({schema} IS NULL OR lower(c.table_schema) = lower({schema}))
   AND (k.ordinal_position IS NOT NULL OR c.column_name = {column})
 ORDER BY k.ordinal_position
"""
"""The SQL standard's information_schema (SQL Server, Redshift, ...), compared without case as
unquoted names are.  ``table_constraints`` lists only tables the user owns or has a privilege
other than SELECT on (PostgreSQL, Redshift), so a SELECT-only user finds no key there."""

_STANDARD_STRIDE = "CAST(lo + (hi - lo) * {k} / {n} AS VARCHAR(64))"
"""Equal steps of a number; a date or timestamp fails on most databases (no subtraction), and
the read falls back to one connection."""


@dataclasses.dataclass(frozen=True)
class Dialect:
    """What differs between databases in the SQL etl writes for them."""

    quotes: tuple[str, str] = ('"', '"')
    text_type: str = "VARCHAR(64)"
    """``CAST(x AS <text_type>)`` renders a watermark as the database's own text."""
    minus_seconds: str | None = None
    """A timestamp ``{seconds}`` before the quoted ``{value}``, for a watermark lookback."""
    backslash_escapes: bool = False
    """String literals treat a backslash as an escape (MySQL's default), so it is doubled."""
    catalog: str | None = None
    """The primary-key columns of a table plus one named column, as rows of ``name``,
    ``type``, ``key_position`` (``NULL`` off the key), ``bounds`` (the column's histogram as a
    JSON array of text, or ``NULL``) and ``indexed_rows`` (the table's estimated rows when the
    column leads an index that ``index_quantile`` can walk, else ``NULL``); placeholders
    ``{table}``, ``{schema}``, ``{name}`` and ``{column}`` are string literals
    (``{schema}``/``{column}`` may be ``NULL``)."""
    stride: str | None = None
    """Boundary ``{k}`` of ``{n}`` equal steps between the columns ``lo`` and ``hi``, as text
    and never decreasing in ``{k}`` (else the partitions would overlap)."""
    index_quantile: str | None = None
    """The ``{column}`` value at row ``{offset}`` of ``{relation}`` in ``{column}`` order, read off
    an index on the column as a scalar subquery (``NULL`` past the last row)."""
    time_stride: str | None = None
    """``stride`` for a date or timestamp column, where ``stride`` works on numbers only
    (``None``: ``stride`` works on both; a column of unknown type is then hashed)."""
    hash: str | None = None
    """An integer hash of ``{value}``, whatever its type."""
    row: str | None = None
    """One value made of several ``{columns}``, for hashing a composite key."""
    modulo: str | None = None
    """``{value}`` (an integer) mapped onto ``0 .. {n}-1``."""
    url_parameters: bool = False
    """The JDBC URL takes driver properties as a query string (``?name=value&...``)."""
    url_decoded: bool = True
    """The driver percent-decodes the URL's values.  MariaDB Connector/J 2.x does not, so a
    value that needs encoding (a PEM CA in ``serverSslCert``) cannot go into its URL."""

    def identifier(self, name: str) -> str:
        """``name`` as a quoted identifier, exactly as written."""
        opening, closing = self.quotes
        return opening + name.replace(closing, closing * 2) + closing

    def literal(self, text: str) -> str:
        """``text`` as a string literal."""
        if self.backslash_escapes:
            text = text.replace("\\", "\\\\")
        return "'" + text.replace("'", "''") + "'"

    def url_with(self, url: str, properties: Mapping[str, str]) -> str | None:
        """``url`` carrying ``properties``, or ``None`` when the URL cannot carry them."""
        if not properties:
            return url
        if not self.url_parameters:
            return None
        if not self.url_decoded and any(
            percent_encoded(v, safe="") != v for v in properties.values()
        ):
            return None
        query = "&".join(
            f"{percent_encoded(k, safe='')}={percent_encoded(v, safe='')}"
            for k, v in properties.items()
        )
        return f"{url}{'&' if '?' in url else '?'}{query}"

    def unquoted(self, name: str) -> str:
        """``name`` as the catalog spells it: without the quotes of a quoted identifier."""
        opening, closing = self.quotes
        if len(name) > 1 and name.startswith(opening) and name.endswith(closing):
            return name[1:-1].replace(closing * 2, closing)
        return name


POSTGRESQL = Dialect(
    minus_seconds="(CAST({value} AS TIMESTAMP) - INTERVAL '{seconds} seconds')",
    catalog=_POSTGRESQL_CATALOG,
    stride="CAST(lo + (hi - lo) * {k} / {n} AS text)",
    hash="hashtext(CAST({value} AS text))",
    row="ROW({columns})",
    modulo="abs(mod({value}, {n}))",
    url_parameters=True,
)
MYSQL = Dialect(
    quotes=("`", "`"),
    text_type="CHAR",
    minus_seconds="(TIMESTAMP({value}) - INTERVAL {seconds} SECOND)",
    backslash_escapes=True,
    catalog=_MYSQL_CATALOG,
    # Cast by the server: the bound is compared back as the server's own text, as a stride is.
    index_quantile=(
        "(SELECT CAST({column} AS CHAR) FROM {relation} ORDER BY {column} LIMIT 1 OFFSET {offset})"
    ),
    # Divided before multiplied: DECIMAL arithmetic, which (hi - lo) * k on a BIGINT near its
    # limit would overflow.  A date or datetime minus another is not an interval in MySQL but
    # the difference of their digits as numbers, hence the microseconds of TIMESTAMPDIFF.
    stride="CAST(lo + (hi - lo) / {n} * {k} AS CHAR)",
    time_stride=(
        "CAST(TIMESTAMPADD(MICROSECOND, TIMESTAMPDIFF(MICROSECOND, lo, hi) DIV {n} * {k}, lo)"
        " AS CHAR)"
    ),
    hash="CRC32(CAST({value} AS CHAR))",
    row="CONCAT_WS(',', {columns})",
    modulo="abs(mod({value}, {n}))",
    url_parameters=True,
)
_STANDARD = Dialect(catalog=_STANDARD_CATALOG, stride=_STANDARD_STRIDE)
DIALECTS = {
    "postgresql": POSTGRESQL,
    "redshift": dataclasses.replace(_STANDARD, minus_seconds=POSTGRESQL.minus_seconds),
    "mysql": MYSQL,
    "mariadb": dataclasses.replace(MYSQL, url_decoded=False),
    "sqlserver": dataclasses.replace(_STANDARD, quotes=("[", "]")),
}


def dialect(vendor: str) -> Dialect:
    """The dialect of ``vendor`` (a JDBC subprotocol); standard SQL for a database etl does not
    know (which fails on Oracle, say, and then the read uses one connection)."""
    return DIALECTS.get(vendor, _STANDARD)


def quote(vendor: str, name: str) -> str:
    """A column name given by a user as a quoted identifier of ``vendor``: as given when it is
    quoted already, so ``"updatedAt"`` and ``updatedAt`` name the same column."""
    if name[:1] in '"`[':
        return name
    return dialect(vendor).identifier(name)
