"""A sink's ``catalog_table``: Glue's naming rule, and its registration as a publish step.

**Names.** Glue's Data Catalog accepts, for a database and for a table, 1 to 255 bytes of UTF-8
matching its *single-line string pattern* (any character but line breaks and other control
characters; a tab is allowed) and stores them lowercase (for Hive compatibility).  So
``sales-eu.daily-orders`` is a valid ``catalog_table``, whatever Athena's or Spark's own advice
on names.  A ``.`` can only separate the database from the table, and a name with leading or
trailing whitespace is refused: Glue keeps it, but nobody can tell it from the name without.
:func:`parse_catalog_table` is that rule, for the sink and for the generator's checks alike.

**Registration** (``CREATE TABLE IF NOT EXISTS ... LOCATION``, ``ALTER TABLE ... RECOVER
PARTITIONS``, ``REFRESH TABLE``) is a step of the run's publish journal (:mod:`etl.publish`),
after the data and before the watermarks and the batch record: every statement is idempotent,
so a run that failed or crashed there is completed by the next run, and a watermark never
commits ahead of the catalog.  Spark's session catalog creates only databases and tables named
with letters, digits and ``_``; a table whose name has other characters must exist already
(Terraform's ``aws_glue_catalog_table``, the Glue console, a crawler), and the registration then
adds its new partitions.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import TYPE_CHECKING

from etl.errors import CatalogRegistrationError, OptionError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger("etl.catalog_table")

MAX_NAME_BYTES = 255
_SPARK_NAME = re.compile(r"^\w+$", re.ASCII)
"""What Spark's session catalog accepts in a name it creates."""


@dataclasses.dataclass(frozen=True)
class CatalogTable:
    """A database and a table name, lowercase as the catalog stores them."""

    database: str
    table: str

    def __str__(self) -> str:
        return f"{self.database}.{self.table}"

    @property
    def sql(self) -> str:
        """The name quoted for Spark SQL: ```db`.`table```."""
        return f"{quote_identifier(self.database)}.{quote_identifier(self.table)}"

    @property
    def spark_creatable(self) -> bool:
        """Whether Spark's session catalog would create it (letters, digits and ``_``)."""
        return all(_SPARK_NAME.match(name) for name in (self.database, self.table))


def quote_identifier(name: str) -> str:
    """``name`` as a Spark SQL identifier: in backticks, a backtick doubled."""
    return "`" + name.replace("`", "``") + "`"


def parse_catalog_table(text: str, owner: str = "catalog_table") -> CatalogTable:
    """Parse ``"database.table"`` by Glue's naming rule (see the module doc).

    Raises :class:`OptionError` starting with ``owner`` that says what is wrong and what Glue
    allows.
    """
    where = f"{owner}: catalog_table={text!r}"
    parts = text.split(".")
    if len(parts) != 2 or not all(parts):
        raise OptionError(
            f"{where} must look like 'database.table': one '.' between a database name and a "
            "table name, both non-empty"
        )
    for kind, name in zip(("database", "table"), parts, strict=True):
        size = len(name.encode("utf-8"))
        if size > MAX_NAME_BYTES:
            raise OptionError(
                f"{where}: the {kind} name is {size} bytes long in UTF-8; Glue allows 1 to "
                f"{MAX_NAME_BYTES}"
            )
        bad = next((c for c in name if not _single_line(c)), None)
        if bad is not None:
            raise OptionError(
                f"{where}: the {kind} name contains the character U+{ord(bad):04X}; Glue names "
                "are single-line text (no line breaks or other control characters)"
            )
        if name != name.strip():
            raise OptionError(
                f"{where}: the {kind} name {name!r} starts or ends with whitespace; remove it"
            )
    return CatalogTable(parts[0].lower(), parts[1].lower())


def _single_line(char: str) -> bool:
    """Glue's single-line string pattern: a tab, or U+0020..U+D7FF, U+E000..U+FFFD, or a
    supplementary character (a surrogate pair in Glue's UTF-16 terms)."""
    code = ord(char)
    return (
        char == "\t"
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


@dataclasses.dataclass(frozen=True)
class CatalogRegistration:
    """One output to register in the catalog: a step of a publish journal (JSON-safe)."""

    table: str
    """The ``catalog_table`` as the sink declares it (checked by :func:`parse_catalog_table`)."""
    location: str
    columns: str
    """The output's columns as DDL (```id` INT, `dt` STRING``)."""
    format: str
    partition_by: tuple[str, ...] = ()

    def register(self, spark: SparkSession) -> None:
        """Create the table if it does not exist, add new partitions, refresh; idempotent.

        Raises :class:`CatalogRegistrationError` saying that the data is published, what failed
        and what to do; the journal that holds this step keeps it for the next run.
        """
        name = parse_catalog_table(self.table)
        partitioned = (
            f" PARTITIONED BY ({', '.join(map(quote_identifier, self.partition_by))})"
            if self.partition_by
            else ""
        )
        location = self.location.replace("\\", "\\\\").replace("'", "\\'")
        try:
            spark.sql(
                f"CREATE TABLE IF NOT EXISTS {name.sql} ({self.columns}) USING {self.format}"
                f"{partitioned} LOCATION '{location}'"
            )
            if self.partition_by:
                spark.sql(f"ALTER TABLE {name.sql} RECOVER PARTITIONS")
            spark.sql(f"REFRESH TABLE {name.sql}")
        except Exception as exc:
            raise CatalogRegistrationError(self._failure(name, exc)) from None
        log.info("registered %s in the catalog", name)

    def _failure(self, name: CatalogTable, exc: Exception) -> str:
        cause = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
        fix = (
            f"create database {name.database} in the catalog first (Terraform's "
            "aws_glue_catalog_database, or CREATE DATABASE); on Glue the job needs `catalog: "
            "true` in glueprint.yaml (--enable-glue-datacatalog) and permission to create "
            "tables and partitions there"
        )
        if not name.spark_creatable:
            fix += (
                f". Spark creates only databases and tables named with letters, digits and _: "
                f"create {name} beforehand (Terraform's aws_glue_catalog_table, the Glue "
                "console), then the run adds its partitions"
            )
        return (
            f"the data was published at {self.location}, but registering {name} in the catalog "
            f"failed: {cause or type(exc).__name__}\n  fix: {fix}\n  the next run of the job "
            "retries the registration before it reads anything; the watermarks and the batch "
            "record are committed only after it succeeds"
        )
