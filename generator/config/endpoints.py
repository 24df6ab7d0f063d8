"""Which job feature needs which interface endpoint, and why: the one table behind both the
endpoints the stack creates (`layout`) and the endpoints `verify` demands of a planned job.

With no internet path, every AWS API a job calls other than S3 (a free gateway endpoint) needs
an interface endpoint in the VPC; a call without one hangs until it times out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal

Feature = Literal["jdbc", "bookmarks", "catalog", "encrypted-catalog", "logs", "metrics"]

ENDPOINTS_FOR: dict[Feature, tuple[tuple[str, str], ...]] = {
    "jdbc": (
        ("secretsmanager", "reads credentials of {connection} from SECRET_ID"),
        ("glue", "looks up connection {connection}"),
    ),
    "bookmarks": (("glue", "job bookmarks"), ("kms", "bookmarks are CSE-KMS encrypted")),
    "catalog": (("glue", "Data Catalog"),),
    "encrypted-catalog": (("kms", "the Data Catalog is KMS encrypted"),),
    "logs": (("logs", "logs to its own log groups"),),
    "metrics": (("monitoring", "job metrics"),),
}
"""Feature -> (service, why) pairs; `{connection}` names the job's first JDBC connection."""


def needed_endpoints(
    features: Iterable[Feature], connection: str | None = None
) -> Iterator[tuple[str, str]]:
    """(service, why) for each endpoint the features need, in table order."""
    wanted = set(features)
    for feature, needs in ENDPOINTS_FOR.items():
        if feature in wanted:
            for service, why in needs:
                yield service, why.format(connection=connection)
