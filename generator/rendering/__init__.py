"""Rendering: config -> Terraform files (Jinja2 templates + the HCL formatter), the job specs
both owners share, the etl zip, the new-job scaffold, and the all-or-nothing writer."""
