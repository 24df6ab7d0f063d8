"""The hand edits `tests/generator/test_verify.py` applies to a rendered stack, one per invariant:
each entry names the verify check that must then fail, and the edit, written the way a user might
change the Terraform (a new resource, a widened rule, a dropped block)."""

from __future__ import annotations

import re
from pathlib import Path


def edit(stack: Path, file: str, old: str, new: str) -> None:
    """Replace the first `old` in `file`; a run of spaces in `old` matches any alignment, so a
    mutation survives `terraform fmt` realigning its block when a longer argument joins it."""
    path = stack / file
    pattern = " +".join(re.escape(part) for part in re.split(r" {2,}", old))
    text, found = re.subn(pattern, lambda _: new, path.read_text(), count=1)
    assert found, f"{old!r} not in {file}"
    path.write_text(text)


def edit_block(stack: Path, file: str, header: str, old: str, new: str) -> None:
    """Replace the first `old` after `header` (inside that block)."""
    path = stack / file
    text = path.read_text()
    start = text.index(header)
    at = text.index(old, start)
    path.write_text(text[:at] + new + text[at + len(old) :])


def drop_block(stack: Path, file: str, header: str) -> None:
    path = stack / file
    text = path.read_text()
    start = text.index(header)
    depth, i = 0, text.index("{", start)
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            path.write_text(text[:start] + text[j + 1 :])
            return
    raise AssertionError(f"unbalanced block {header}")


def append(stack: Path, file: str, text: str) -> None:
    with (stack / file).open("a") as handle:
        handle.write("\n" + text)


NET, SEC, GLUE, DB = "network/main.tf", "security/main.tf", "glue/main.tf", "database/main.tf"

MUTATIONS = {
    "internet gateway": (
        "no-internet-gateways",
        lambda s: append(
            s, NET, 'resource "aws_internet_gateway" "oops" {\n  vpc_id = aws_vpc.this.id\n}\n'
        ),
    ),
    "NAT gateway": (
        "no-internet-gateways",
        lambda s: append(
            s,
            NET,
            'resource "aws_nat_gateway" "oops" {\n  subnet_id = aws_subnet.glue["eu-west-1a"].id\n'
            '  connectivity_type = "private"\n}\n',
        ),
    ),
    "default route": (
        "no-default-route",
        lambda s: append(
            s,
            NET,
            'resource "aws_route" "oops" {\n'
            '  route_table_id = aws_route_table.private["eu-west-1a"].id\n'
            '  destination_cidr_block = "0.0.0.0/0"\n'
            "  vpc_endpoint_id = aws_vpc_endpoint.s3.id\n}\n",
        ),
    ),
    "route on the main table": (
        "no-default-route",
        lambda s: edit(
            s,
            NET,
            "  route                  = []",
            '  route {\n    cidr_block = "0.0.0.0/0"\n'
            '    gateway_id = "igw-0123456789abcdef0"\n  }',
        ),
    ),
    "public IPs": (
        "subnets-private",
        lambda s: edit(s, NET, "map_public_ip_on_launch = false", "map_public_ip_on_launch = true"),
    ),
    "unassociated subnet": (
        "subnets-associated",
        lambda s: drop_block(s, NET, 'resource "aws_route_table_association" "database"'),
    ),
    "default NACL rules removed": (
        "default-nacl-adopted",
        lambda s: drop_block(s, NET, 'resource "aws_default_network_acl" "this"'),
    ),
    "default SG rule": (
        "default-sg-empty",
        lambda s: edit(
            s,
            NET,
            '  vpc_id = aws_vpc.this.id\n\n  tags = {\n    Name = "${var.name}-default-deny-all"',
            "  vpc_id = aws_vpc.this.id\n  ingress {\n    protocol = -1\n    self = true\n"
            "    from_port = 0\n    to_port = 0\n  }\n\n  tags = {\n"
            '    Name = "${var.name}-default-deny-all"',
        ),
    ),
    "world egress, ip_protocol -1": (
        "no-world-sg-rules",
        lambda s: append(
            s,
            SEC,
            'resource "aws_vpc_security_group_egress_rule" "oops" {\n'
            '  security_group_id = aws_security_group.endpoints.id\n  cidr_ipv4 = "0.0.0.0/0"\n'
            '  ip_protocol = "-1"\n}\n',
        ),
    ),
    "world ingress, legacy rule": (
        "no-world-sg-rules",
        lambda s: append(
            s,
            SEC,
            'resource "aws_security_group_rule" "oops" {\n  type = "ingress"\n'
            '  security_group_id = aws_security_group.endpoints.id\n  protocol = "tcp"\n'
            '  from_port = 443\n  to_port = 443\n  ipv6_cidr_blocks = ["::/0"]\n}\n',
        ),
    ),
    "world egress, inline block": (
        "no-world-sg-rules",
        lambda s: edit(
            s,
            SEC,
            "  description            = "
            '"Interface endpoints: HTTPS from the Glue security group only"',
            '  description = "Interface endpoints: HTTPS from the Glue security group only"\n'
            '  egress {\n    protocol = "tcp"\n    from_port = 443\n    to_port = 443\n'
            '    cidr_blocks = ["0.0.0.0/0"]\n  }',
        ),
    ),
    "database open to endpoints SG": (
        "database-sg-from-glue-only",
        lambda s: edit(
            s,
            SEC,
            "  security_group_id            = aws_security_group.database.id\n"
            "  referenced_security_group_id = aws_security_group.glue.id",
            "  security_group_id            = aws_security_group.database.id\n"
            "  referenced_security_group_id = aws_security_group.endpoints.id",
        ),
    ),
    "database all ports": (
        "database-sg-from-glue-only",
        lambda s: edit(
            s,
            SEC,
            "  from_port                    = var.database_port\n"
            "  to_port                      = var.database_port\n"
            '  description                  = "JDBC from',
            '  from_port = 0\n  to_port = 65535\n  description = "JDBC from',
        ),
    ),
    "public database": (
        "database-private",
        lambda s: edit(
            s,
            DB,
            "publicly_accessible                   = false",
            "publicly_accessible                   = true",
        ),
    ),
    "no deletion protection": (
        "database-private",
        lambda s: edit(
            s, "main.tf", "deletion_protection   = true", "deletion_protection   = false"
        ),
    ),
    "DNS hostnames off": (
        "vpc-dns",
        lambda s: edit(s, NET, "enable_dns_hostnames = true", "enable_dns_hostnames = false"),
    ),
    "job without security configuration": (
        "jobs-in-vpc",
        lambda s: edit(
            s, GLUE, "  security_configuration = aws_glue_security_configuration.this.name\n", ""
        ),
    ),
    "job without connections": (
        "jobs-in-vpc",
        lambda s: edit(
            s,
            GLUE,
            "connections            = [for name in each.value.connections : "
            "aws_glue_connection.this[name].name]",
            "connections = []",
        ),
    ),
    "S3 endpoint off the route tables": (
        "s3-gateway-on-connection-subnets",
        lambda s: edit(
            s,
            NET,
            "route_table_ids   = [for table in aws_route_table.private : table.id]",
            "route_table_ids   = []",
        ),
    ),
    "no self-referencing ingress": (
        "glue-sg-self-reference",
        lambda s: edit_block(
            s,
            SEC,
            'resource "aws_vpc_security_group_ingress_rule" "glue_self"',
            "referenced_security_group_id = aws_security_group.glue.id",
            "referenced_security_group_id = aws_security_group.endpoints.id",
        ),
    ),
    "missing Secrets Manager endpoint": (
        "endpoints-for-features",
        lambda s: edit(s, "main.tf", '"monitoring", "secretsmanager"]', '"monitoring"]'),
    ),
    "endpoint without private DNS": (
        "endpoints-for-features",
        lambda s: edit(
            s, "endpoints/main.tf", "private_dns_enabled = true", "private_dns_enabled = false"
        ),
    ),
    "password in the connection": (
        "no-secrets-in-glue",
        lambda s: edit(
            s,
            GLUE,
            '    JDBC_ENFORCE_SSL    = "true"',
            '    JDBC_ENFORCE_SSL    = "true"\n    PASSWORD = "hunter2"',
        ),
    ),
    "TLS not enforced": (
        "no-secrets-in-glue",
        lambda s: edit(s, GLUE, 'JDBC_ENFORCE_SSL    = "true"', 'JDBC_ENFORCE_SSL    = "false"'),
    ),
    "module from PyPI": (
        "no-internet-dependencies",
        lambda s: edit(
            s,
            "main.tf",
            '= "public.orders"\n',
            '= "public.orders"\n        "--additional-python-modules" = "pandas==2"\n',
        ),
    ),
    "S3 endpoint widened to s3:* on * for anyone": (
        "s3-endpoint-platform-buckets-only",
        lambda s: edit(
            s,
            NET,
            "policy            = data.aws_iam_policy_document.s3_endpoint.json",
            'policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", '
            'Principal = "*", Action = "s3:*", Resource = "*" }] })',
        ),
    ),
    "standalone endpoint policy replacing the S3 endpoint's": (
        "s3-endpoint-platform-buckets-only",
        lambda s: append(
            s,
            NET,
            'resource "aws_vpc_endpoint_policy" "oops" {\n'
            "  vpc_endpoint_id = aws_vpc_endpoint.s3.id\n"
            '  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", '
            'Principal = "*", Action = "s3:GetObject", Resource = "*" }] })\n}\n',
        ),
    ),
    "interface endpoints open to other accounts' resources": (
        "interface-endpoints-this-account-only",
        lambda s: edit(
            s,
            "endpoints/main.tf",
            '      variable = "aws:ResourceAccount"\n      values   = [var.account_id]',
            '      variable = "aws:SourceVpc"\n      values   = [var.vpc_id]',
        ),
    ),
    "password as job argument": (
        "no-secrets-in-glue",
        lambda s: edit(
            s,
            "main.tf",
            '= "public.orders"\n',
            '= "public.orders"\n        "--db_password" = "hunter2"\n',
        ),
    ),
}
