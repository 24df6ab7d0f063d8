"""What RDS and Aurora accept for the database glueprint creates, checked offline.

Without these tables a MySQL version on a PostgreSQL engine, an instance class Aurora does not
offer, or a parameter value AWS rejects renders cleanly and fails only at apply, minutes in.
Each table names the AWS documentation it comes from and when it was checked; refresh it when
AWS adds a major version or an instance class (a config using one is refused until then, with
the valid values in the message). The config takes major versions only (`generator.config.rules`
refuses a minor: RDS upgrades minors itself), so the version table lists majors.
"""

from __future__ import annotations

from dataclasses import dataclass

MAJOR_VERSIONS: dict[str, tuple[str, ...]] = {
    # RDS for PostgreSQL release calendar (PostgreSQLReleaseNotes/postgresql-release-calendar)
    # and RDS Extended Support (11, 12 and 13 are past standard support, still created at an
    # Extended Support charge), checked 2026-12-03.
    "postgres": ("11", "12", "13", "14", "15", "16", "17", "18"),
    # RDS for MySQL release calendar (MySQL.Concepts.VersionMgmt; 5.7 and 8.0 in Extended
    # Support) and the 9.7 LTS series (mysql-ssl-connections.require-ssl describes RDS for
    # MySQL 9.7), checked 2026-12-03.
    "mysql": ("5.7", "8.0", "8.4", "9.7"),
    # Aurora PostgreSQL release calendar for major versions (AuroraPostgreSQLReleaseNotes),
    # checked 2026-12-03.
    "aurora-postgresql": ("11", "12", "13", "14", "15", "16", "17"),
    # Aurora MySQL release calendar (AuroraMySQLReleaseNotes/AuroraMySQL.release-calendars):
    # version 2 (MySQL 5.7 compatible, Extended Support) and version 3 (MySQL 8.0
    # compatible), checked 2026-12-03.
    "aurora-mysql": ("5.7.mysql_aurora.2", "8.0.mysql_aurora.3"),
}
"""Major versions per engine, in the form `database.version` takes."""

RDS_INSTANCE_FAMILIES: tuple[str, ...] = (
    "t3", "t4g",
    "m5", "m5d", "m6g", "m6gd", "m6i", "m6id", "m7g", "m7i", "m8g",
    "r5", "r5b", "r5d", "r6g", "r6gd", "r6i", "r6id", "r7g", "r7i", "r8g",
    "x2g", "c6gd",
)  # fmt: skip
"""Instance class families RDS for PostgreSQL and RDS for MySQL both run (RDS user guide,
"Supported DB engines for DB instance classes", Concepts.DBInstanceClass.Support), checked
2026-12-03. Families only one of the two engines or only Oracle/SQL Server run are left out."""

AURORA_INSTANCE_FAMILIES: tuple[str, ...] = (
    "t3", "t4g", "r5", "r6g", "r6gd", "r6i", "r6id", "r7g", "r7i", "r8g", "r8gd", "x2g",
)  # fmt: skip
"""Provisioned instance class families of Aurora MySQL and Aurora PostgreSQL (Aurora user
guide, "Supported DB engines for DB instance classes", Concepts.DBInstanceClass.SupportAurora),
checked 2026-12-03. Aurora has no db.m*, db.c* or db.x2i* classes."""

AURORA_BURSTABLE_SIZES: tuple[str, ...] = ("medium", "large")
"""The only sizes of db.t3 and db.t4g Aurora offers (same page)."""


@dataclass(frozen=True)
class Parameter:
    """A parameter the stack sets in the database's parameter group, the values AWS accepts for
    it (the parameter group's AllowedValues), and why the stack sets it."""

    name: str
    value: str
    allowed: tuple[str, ...] | range
    purpose: str

    def accepts(self, value: str) -> bool:
        if isinstance(self.allowed, range):
            return value.lstrip("-").isdigit() and int(value) in self.allowed
        return value in self.allowed


_BOOLEAN = ("0", "1")
_POSTGRES = (
    # RDS/Aurora PostgreSQL: "rds.force_ssl" 0 or 1 (RDS user guide PostgreSQL.Concepts.General.SSL,
    # Aurora user guide AuroraPostgreSQL.Security.SSL), checked 2026-12-03.
    Parameter("rds.force_ssl", "1", _BOOLEAN, "The server refuses connections without TLS"),
    # PostgreSQL documentation (runtime-config-logging): none, ddl, mod, all.
    Parameter("log_statement", "ddl", ("none", "ddl", "mod", "all"), "Schema changes are logged"),
    # Milliseconds, -1 (off) to 2147483647 (runtime-config-logging).
    Parameter(
        "log_min_duration_statement",
        "1000",
        range(-1, 2147483648),
        "Statements slower than 1 s are logged",
    ),
)
_LOG_OUTPUT = Parameter(
    # "log_output = FILE" is required to publish the general and slow query logs to CloudWatch
    # Logs (RDS user guide USER_LogAccess.MySQLDB.PublishtoCloudWatchLogs, Aurora user guide
    # USER_LogAccess.MySQL.LogFileSize), checked 2026-12-03; TABLE keeps them in mysql.*_log.
    "log_output",
    "FILE",
    ("TABLE", "FILE"),
    "Query logs go to files, the only ones exported to CloudWatch",
)
_SLOW_QUERY_LOG = Parameter(
    # Required for the `slowquery` export (same pages): off by default, its log group stays empty.
    "slow_query_log",
    "1",
    _BOOLEAN,
    "The exported slow query log is written",
)

DB_PARAMETERS: dict[str, tuple[Parameter, ...]] = {
    "postgres": _POSTGRES,
    "aurora-postgresql": _POSTGRES,
    "mysql": (
        # RDS for MySQL: require_secure_transport 1 (ON) or 0 (OFF), a boolean parameter (RDS
        # user guide mysql-ssl-connections.require-ssl), checked 2026-12-03.
        Parameter(
            "require_secure_transport", "1", _BOOLEAN, "The server refuses connections without TLS"
        ),
        # Required for the `general` export (USER_LogAccess.MySQLDB.PublishtoCloudWatchLogs).
        Parameter("general_log", "1", _BOOLEAN, "The exported general log is written"),
        _SLOW_QUERY_LOG,
        _LOG_OUTPUT,
    ),
    "aurora-mysql": (
        # Aurora MySQL takes ON or OFF, not RDS for MySQL's 1 or 0 (Aurora user guide
        # AuroraMySQL.Security, "Requiring an SSL/TLS connection to an Aurora MySQL DB
        # cluster": set it to ON; cluster parameter groups report ON/OFF, prowler PR #4116),
        # checked 2026-12-03.
        Parameter(
            "require_secure_transport",
            "ON",
            ("ON", "OFF"),
            "The server refuses connections without TLS",
        ),
        # Advanced Auditing for the `audit` export (Aurora user guide AuroraMySQL.Auditing).
        Parameter("server_audit_logging", "1", _BOOLEAN, "The exported audit log is written"),
        _SLOW_QUERY_LOG,
        _LOG_OUTPUT,
    ),
}
"""The parameters of each engine's parameter group, in the order they are rendered."""
