"""The SQL of incremental JDBC reads: the high mark, the rows past a watermark, the lookback window.

Rules (docs/etl.md, "Incremental loads"):

* The first load (no committed watermark) reads every row, including rows whose watermark
  column is NULL.  Later loads read rows whose column is past the watermark, so a NULL is never
  read again: give the column a NOT NULL constraint if rows may arrive with NULL first.
* A load reads rows with ``watermark < column <= high``, where ``high`` is the column's maximum
  when the run starts, so rows committed during the run wait for the next one.
* With ``lookback``, a load re-reads ``watermark - lookback < column``: rows that were committed
  late with a value at or below the watermark (a long transaction, a clock behind) are read then.
  Rows re-read from the window that an earlier load already published are dropped by their key;
  the state keeps the keys of the window's rows for that.

Identifiers are quoted for the database (``"updatedAt"`` on PostgreSQL, backticks on MySQL;
:mod:`etl.dialects`), so a mixed-case or reserved column name reads as written.
"""

from __future__ import annotations

from etl.dialects import DIALECTS, dialect, quote
from etl.errors import OptionError
from etl.watermark import Watermark


def _lower(vendor: str, since: Watermark, lookback: float | None) -> str:
    """The exclusive lower bound of a load as SQL: the watermark, less the lookback."""
    if not lookback:
        return since.literal()
    if not since.quoted:
        return f"({since.literal()} - {lookback:g})"
    template = dialect(vendor).minus_seconds
    if template is None:
        supported = sorted(name for name, known in DIALECTS.items() if known.minus_seconds)
        raise OptionError(
            f"watermark_lookback on a date or time column is supported for "
            f"{', '.join(supported)}, not {vendor}; use a numeric watermark column"
        )
    return template.format(value=since.literal(), seconds=f"{lookback:g}")


def bound_query(
    vendor: str, relation: str, column: str, since: Watermark | None, lookback: float | None
) -> str:
    """The current maximum of ``column`` (and as the database's own text): past ``since``
    without a lookback (``NULL``: nothing new), over every row with one."""
    quoted = quote(vendor, column)
    text = dialect(vendor).text_type
    where = (
        f" WHERE {quoted} > {since.literal()}"
        if since is not None and since.value is not None and not lookback
        else ""
    )
    return (
        f"SELECT max({quoted}) AS hi, CAST(max({quoted}) AS {text}) AS hi_text "
        f"FROM {relation}{where}"
    )


def rows_condition(
    vendor: str,
    column: str,
    since: Watermark | None,
    high: Watermark | None,
    lookback: float | None,
) -> str:
    """The rows a load reads (see the module doc)."""
    quoted = quote(vendor, column)
    if since is None:  # the first load: everything there is now, NULLs included
        if high is None or high.value is None:
            return f"{quoted} IS NULL"
        return f"({quoted} <= {high.literal()} OR {quoted} IS NULL)"
    if high is None or high.value is None:
        return "1 = 0"
    if since.value is None:  # the first load saw only NULLs
        return f"{quoted} <= {high.literal()}"
    return f"{quoted} > {_lower(vendor, since, lookback)} AND {quoted} <= {high.literal()}"


def window_query(
    vendor: str,
    relation: str,
    column: str,
    *,
    key: tuple[str, ...],
    high: Watermark,
    lookback: float,
) -> str:
    """The keys of the rows within ``lookback`` of ``high``: the ones the next load re-reads
    and must not publish twice."""
    quoted = quote(vendor, column)
    keys = ", ".join(quote(vendor, k) for k in key)
    return (
        f"SELECT {keys} FROM {relation} WHERE {quoted} > {_lower(vendor, high, lookback)} "
        f"AND {quoted} <= {high.literal()}"
    )


def restricted(relation: str, condition: str) -> str:
    """``relation`` limited to ``condition``, as a derived table Spark can read and partition."""
    return f"(SELECT * FROM {relation} WHERE {condition}) glueprint_inc"
