"""Finding connection references in job scripts without running them."""

from __future__ import annotations

from pathlib import Path

from generator.config.job_code import ConnectionUse, connection_uses

SCRIPT = """
import etl
from etl import JdbcSource
NAME = "dyn"
a = JdbcSource(connection="rds-a", table="t")
b = etl.JdbcSource(connection=NAME, query="select 1")
opts = {"useConnectionProperties": "true", "connectionName": "rds-glue", "dbtable": "t"}
conf = glue_context.extract_jdbc_conf("rds-conf")
glue_context.write_dynamic_frame.from_jdbc_conf(frame=f, catalog_connection="rds-write")
unrelated = {"connection": "not-a-glue-connection"}
"""


def test_every_spelling_of_a_connection_reference_is_found(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    assert connection_uses(script) == [
        ConnectionUse("rds-a", 5),
        ConnectionUse(None, 6),
        ConnectionUse("rds-glue", 7),
        ConnectionUse("rds-conf", 8),
        ConnectionUse("rds-write", 9),
    ]
