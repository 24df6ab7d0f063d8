"""Running Terraform: the CLI adapter, reading plans, `verify`'s invariants, the local AWS
emulator harness and the topology read back from an applied account."""
