"""The `glueprint.yaml` model: typed fields, secure defaults, and per-field validation.

Field-level rules (types, ranges, name formats, enums) live here so pydantic reports them with
their exact path. Rules that span several fields (subnets inside the VPC, a job's connections
exist, worker type x Glue version x command) live in `generator.config.rules`, which runs after
parsing; `generator.config.loader` is the one entry point that does both.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Network
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from generator.config.buckets import ExternalBucketConfig
from generator.config.catalog import (
    ENGINES,
    GLUE_VERSIONS,
    PYTHONSHELL_GLUE_VERSION,
)
from generator.config.external import ExternalDatabaseConfig, KmsKeyArn
from generator.config.glue_user import GlueUserConfig
from generator.config.state import REGION_PATTERN, StateConfig
from generator.config.strict import STRICT

LogRetentionDays = Literal[
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
]
"""Values CloudWatch Logs accepts for `retention_in_days`."""
ProjectName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,22}[a-z0-9]$"),
    Field(description="Lower-case name (3-24 chars: a-z, 0-9, '-') prefixed to every resource."),
]
JobName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"),
    Field(
        description="Glue job name: letters, digits, '_' and '-', max 128 (narrower than Glue's "
        "rule: the name is also part of the job's log group names and S3 prefixes)."
    ),
]
GLUE_SINGLE_LINE = re.compile(r"[\u0020-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF\t]*")
"""Glue's API "single-line string pattern" for names: no character below U+0020 but tab (so no
line break), in code points (Glue's pattern spells characters above U+FFFF as UTF-16 pairs)."""
GLUE_NAME_LENGTH = 255
"""The longest name Glue accepts (connections, and in Glue's API any other name)."""
IAM_SPECIAL = ("*", "?", "${")
"""What IAM reads in a resource ARN: wildcards and policy variables."""


def _connection_name(name: str) -> str:
    """Glue's own rule, minus what would widen the job role's `glue:GetConnection` grant, whose
    resource ARNs end in the connection names."""
    if not GLUE_SINGLE_LINE.fullmatch(name):
        raise ValueError("a Glue connection name is one line: no line break or control character")
    special = [text for text in IAM_SPECIAL if text in name]
    if special:
        raise ValueError(
            f"{' and '.join(map(repr, special))} in a connection name would be an IAM wildcard "
            "or policy variable in the job role's glue:GetConnection grant, widening it"
        )
    return name


ConnectionName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=GLUE_NAME_LENGTH),
    AfterValidator(_connection_name),
    Field(
        description="Glue connection name, as Glue allows it: 1-255 characters on one line "
        "(spaces included), without '*', '?' or '${' (IAM wildcards and variables)."
    ),
]
BucketName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"),
    Field(description="S3 bucket name: 3-63 chars of a-z, 0-9 and '-' (no dots: TLS breaks)."),
]
Region = Annotated[
    str,
    StringConstraints(pattern=REGION_PATTERN),
    Field(description="AWS region, e.g. eu-west-1."),
]
GlueVersion = Literal["3.0", "4.0", "5.0", "5.1", "6.0"]
EndpointService = Literal["glue", "kms", "logs", "monitoring", "secretsmanager", "sts"]

assert set(GLUE_VERSIONS) == set(get_args(GlueVersion))  # keep catalog and model in step


class StrictModel(BaseModel):
    """Unknown keys are errors (a typo must not silently fall back to a default)."""

    model_config = STRICT


class NetworkConfig(StrictModel):
    """The private VPC. Subnets are computed from the VPC CIDR unless listed explicitly."""

    vpc_cidr: IPv4Network = IPv4Network("10.0.0.0/16")
    """IPv4 CIDR of the VPC (/16 to /24)."""
    azs: (
        list[Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-[0-9][a-z]$")]]
        | None
    ) = None
    """Explicit AZs (e.g. [eu-west-1a, eu-west-1b]); default: the region's first az_count."""
    az_count: Annotated[int, Field(ge=2, le=6)] = 2
    """How many AZs to use when `azs` is not given: the first that the region offers new
    accounts (ap-northeast-1: a, c, d), from the table in generator/config/regions.py."""
    glue_subnet_prefix: Annotated[int, Field(ge=16, le=28)] = 20
    """Prefix length of each Glue subnet. Glue takes one IP per worker, so keep these large."""
    database_subnet_prefix: Annotated[int, Field(ge=16, le=28)] = 24
    """Prefix length of each database subnet."""
    glue_subnets: list[IPv4Network] | None = None
    """Explicit Glue subnet CIDRs, one per AZ, in AZ order."""
    database_subnets: list[IPv4Network] | None = None
    """Explicit database subnet CIDRs, one per AZ, in AZ order."""
    interface_endpoints: list[EndpointService] | None = None
    """Interface endpoints to create. Default: derived from what the jobs use (see the summary)."""
    flow_log_traffic: Literal["ALL", "REJECT", "ACCEPT"] = "ALL"
    """Which traffic VPC flow logs record."""


class DatabaseConfig(StrictModel):
    """The RDS database the JDBC connections point at. Omit the section for no database."""

    engine: Literal["postgres", "mysql", "aurora-postgresql", "aurora-mysql"] = "postgres"
    """RDS engine."""
    version: Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9A-Za-z_]+)*$")] = ""
    """Major version only (16, 8.0, 8.0.mysql_aurora.3; RDS upgrades minors), default per engine."""
    instance_class: Annotated[str, StringConstraints(pattern=r"^db\.[a-z0-9-]+\.[a-z0-9]+$")] = (
        "db.t4g.medium"
    )
    """Instance class (Aurora: class of each cluster instance)."""
    allocated_storage_gb: Annotated[int, Field(ge=20, le=65536)] = 20
    """Initial storage (RDS instances only; Aurora storage grows by itself)."""
    max_allocated_storage_gb: Annotated[int, Field(ge=20, le=65536)] = 100
    """Storage autoscaling ceiling (RDS instances only)."""
    port: Annotated[int, Field(ge=1150, le=65535)] = 0
    """Database port; default 5432 for PostgreSQL engines, 3306 for MySQL engines."""
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,62}$")] = "app"
    """Name of the database created inside the instance; JDBC URLs point at it."""
    master_username: Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,15}$")] = (
        "glueprint_admin"
    )
    """Master user name (its password is generated and kept by RDS in Secrets Manager)."""
    multi_az: bool = True
    """Standby in a second AZ (RDS) or a reader in a second AZ (Aurora)."""
    backup_retention_days: Annotated[int, Field(ge=1, le=35)] = 7
    """Automated backup retention."""
    deletion_protection: bool = True
    """Refuse `terraform destroy` of the database until this is turned off."""
    performance_insights: bool = True
    """Performance Insights, encrypted with the platform KMS key."""
    monitoring_interval: Literal[0, 1, 5, 10, 15, 30, 60] = 60
    """Enhanced Monitoring interval in seconds (0 turns it off)."""
    glue_user: GlueUserConfig = GlueUserConfig()
    """The database user the Glue connections log in as (not the master user) and its grants;
    created by `glueprint db bootstrap` after the first apply."""
    ca_certificate: Path | None = None
    """The region's RDS Root CA RSA2048 G1 (PEM, relative to the config): CUSTOM_JDBC_CERT."""

    @model_validator(mode="after")
    def _glue_user_is_not_the_master(self) -> DatabaseConfig:
        if self.glue_user.name.lower() == self.master_username.lower():
            raise ValueError(
                f"glue_user.name {self.glue_user.name!r} is the master user; the jobs must log "
                "in as a user of their own: choose another glue_user.name"
            )
        return self

    @model_validator(mode="before")
    @classmethod
    def _engine_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        engine = ENGINES.get(data.get("engine", "postgres"))
        if engine is None:
            return data
        data = dict(data)
        data.setdefault("version", engine.default_version)
        data.setdefault("port", engine.default_port)
        return data


class ConnectionConfig(StrictModel):
    """A Glue connection in the private subnets."""

    name: ConnectionName
    type: Literal["NETWORK", "JDBC"]
    """NETWORK: VPC placement only (S3 through the gateway endpoint). JDBC: also the database."""
    description: str = ""
    per_az: bool = True
    """One copy per AZ (`NAME`, `NAME-az2`, ...), all attached to jobs in order, for failover."""
    external: ExternalDatabaseConfig | None = None
    """JDBC only: a database the stack does not own (engine, host, port, database, secret_arn,
    kms_key_arn, and cidr or security_group_id) instead of the stack's `database:`. Credentials
    stay in the Secrets Manager secret: never a username or password here."""


class JobConfig(StrictModel):
    """A Glue job, placed in the VPC through its connections."""

    name: JobName
    script: Path
    """Path of the job script, relative to the config file."""
    description: str = ""
    command: Literal["glueetl", "gluestreaming", "pythonshell"] = "glueetl"
    glue_version: GlueVersion = "5.0"
    """Glue version. Default 5.0 (Spark 3.5, Python 3.11, the local toolchain's Python);
    Python shell jobs default to 3.0, the only version that runs them."""
    worker_type: str | None = None
    """Spark worker type (default G.1X); not allowed on pythonshell."""
    workers: Annotated[int, Field(ge=1, le=299)] | None = None
    """Number of Spark workers (default 2); not allowed on pythonshell."""
    max_capacity: Annotated[float, Field(ge=0.0625, le=1.0)] | None = None
    """Python shell DPUs (default 0.0625); pythonshell only."""
    execution_class: Literal["STANDARD", "FLEX"] = "STANDARD"
    timeout_minutes: Annotated[int, Field(ge=1, le=2880)] | None = 60
    """Minutes before Glue stops a run (status TIMEOUT). Batch jobs: default 60. Streaming jobs:
    default none (null), so they run until stopped, as Glue intends; a number stops the stream
    when it expires."""
    max_retries: Annotated[int, Field(ge=0, le=10)] = 0
    max_concurrent_runs: Annotated[int, Field(ge=1, le=1000)] = 1
    concurrent_incremental_runs: bool = False
    """Allow max_concurrent_runs > 1 for a job whose code reads incrementally (a watermark):
    such runs never publish at once (the second stops on the job's lease), so this only makes
    sense for jobs whose runs write different outputs (a sink path with an argument in it)."""
    connections: list[ConnectionName] | None = None
    """Connections the job uses, in failover order; default: every connection in the config."""
    bookmarks: bool = False
    """Glue job bookmarks, for Glue-native incremental reads (`jobBookmarkKeys`); glueetl only.
    Off by default: etl sources read incrementally with watermarks, and bookmarks would add the
    Glue and KMS interface endpoints (a cost per AZ) to the stack."""
    continuous_logging: bool = True
    """Log to the job's own log groups, created by the stack (KMS-encrypted, with retention):
    continuous logging on Glue 4.0 and earlier, `--custom-logGroup-prefix` on 5.0 and later."""
    metrics: bool = True
    """CloudWatch job metrics."""
    catalog: bool = False
    """Use the Glue Data Catalog as the Hive metastore (adds the Glue endpoint and catalog IAM)."""
    arguments: dict[Annotated[str, StringConstraints(pattern=r"^--[A-Za-z0-9_.-]+$")], str] = {}
    """Extra job arguments (`--name: value`). Never secrets: Glue may log arguments."""
    python_wheels: list[Path] = []
    """Wheels (paths relative to the config) Glue installs with `--additional-python-modules`
    from the scripts bucket, never from PyPI: list every dependency Glue does not provide."""
    owner: Literal["terraform", "deploy"] = "terraform"
    """Who creates and updates the Glue job and uploads its code: `terraform` (the generated
    stack) or `deploy` (`glueprint deploy`, e.g. from CI). The stack always owns the platform
    the job runs on (role, connections, buckets, log group), so the two never fight."""

    @model_validator(mode="before")
    @classmethod
    def _command_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if data.get("command") == "pythonshell":
            data.setdefault("glue_version", PYTHONSHELL_GLUE_VERSION)
            data.setdefault("max_capacity", 0.0625)
        else:
            data.setdefault("worker_type", "G.1X")
            data.setdefault("workers", 2)
        # A stream has no natural end: Glue runs streaming jobs without a timeout by default.
        data.setdefault("timeout_minutes", None if data.get("command") == "gluestreaming" else 60)
        return data

    @property
    def is_spark(self) -> bool:
        """Spark jobs (batch or streaming) have workers; Python shell jobs have DPUs."""
        return self.command != "pythonshell"


class StorageConfig(StrictModel):
    """S3 buckets. Default names: `<project>-<purpose>-<account id>` (globally unique)."""

    scripts_bucket: BucketName | None = None
    """Bucket for job scripts (uploaded by Terraform)."""
    data_bucket: BucketName | None = None
    """Bucket for job input and output."""
    temp_bucket: BucketName | None = None
    """Bucket for `--TempDir` (expires after 7 days)."""
    logs_bucket: BucketName | None = None
    """Bucket receiving S3 server access logs of the other three."""
    vpc_endpoint_only: bool = True
    """Deny data and temp object access that does not come through the S3 gateway endpoint."""
    admin_principal_arns: list[
        Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$")]
    ] = []
    """IAM roles/users still allowed to reach the data and temp buckets from outside the VPC."""
    external_buckets: list[ExternalBucketConfig] = []
    """Existing buckets of the stack's region the jobs read (`access: read`) or write
    (`access: read_write`), each with its KMS key if a customer managed one encrypts it: the S3
    endpoint admits them and the job role may use them, nothing wider."""


class CatalogEncryptionConfig(StrictModel):
    """Data Catalog encryption, an account- and region-wide setting: off unless asked for."""

    enabled: bool = False
    """This stack sets the account's Data Catalog encryption settings: metadata encrypted at rest
    and connection passwords returned encrypted, with `kms_key_arn` or the platform key. Every
    other catalog user of the account and region then needs that key, and no other stack may
    manage these settings (the last apply wins)."""
    kms_key_arn: KmsKeyArn | None = None
    """An existing key of this account and region for the catalog. With `enabled`, the settings
    use it instead of the platform key; without, it names the key the account's catalog is
    already encrypted with (settings managed elsewhere). Either way the job role may use it."""

    @property
    def in_effect(self) -> bool:
        """Whether the jobs meet an encrypted catalog (set by this stack or by another)."""
        return self.enabled or self.kms_key_arn is not None


class GlueConfig(StrictModel):
    """Account-level Glue settings."""

    catalog_encryption: CatalogEncryptionConfig = CatalogEncryptionConfig()
    """Account-wide Data Catalog encryption, off unless asked for: `enabled: true` (this stack
    sets it, with the platform key or `kms_key_arn`), or `kms_key_arn` alone (the account's
    catalog is already encrypted with that key)."""

    @field_validator("catalog_encryption", mode="before")
    @classmethod
    def _no_boolean(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(
                "catalog_encryption is a mapping: `{enabled: true}` to have this stack encrypt "
                "the account's Data Catalog with the platform key, `{kms_key_arn: ARN}` when the "
                "account's catalog is already encrypted with that key, or omit it (off)"
            )
        return value


class GlueprintConfig(StrictModel):
    """glueprint.yaml: one secure Glue-in-VPC platform."""

    model_config = ConfigDict(title="glueprint.yaml")

    project: ProjectName
    region: Region
    tags: dict[
        Annotated[str, StringConstraints(min_length=1, max_length=128)],
        Annotated[str, StringConstraints(max_length=256)],
    ] = {}
    """Tags on every resource (the provider's default_tags), next to `Project` and `ManagedBy`."""
    log_retention_days: LogRetentionDays = 365
    """Retention of every log group (flow logs, Glue job logs)."""
    network: NetworkConfig = NetworkConfig()
    database: DatabaseConfig | None = None
    connections: list[ConnectionConfig] = []
    storage: StorageConfig = StorageConfig()
    glue: GlueConfig = GlueConfig()
    jobs: list[JobConfig] = []
    state: StateConfig | None = None
    """Terraform state in an existing S3 bucket; without it, state stays in a local file."""

    @property
    def resource_tags(self) -> dict[str, str]:
        """Tags on everything glueprint creates, through Terraform or `glueprint deploy`."""
        return {"Project": self.project, "ManagedBy": "glueprint", **self.tags}

    def job_connections(self, job: JobConfig) -> list[str]:
        """The connections a job uses: its own list, or every connection by default."""
        if job.connections is not None:
            return list(job.connections)
        return [c.name for c in self.connections]
