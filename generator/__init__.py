"""glueprint generator: one YAML config renders a secure Glue-in-VPC Terraform stack."""

__version__ = "0.1.0"
