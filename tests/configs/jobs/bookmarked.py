"""Test fixture job script (read with ast, never run): a Glue-native job reading with bookmark
keys and taking an argument through getResolvedOptions (Glue passes JOB_NAME itself)."""

import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "target_path"])
glue_context = GlueContext(SparkContext.getOrCreate())
job = Job(glue_context)
job.init(args["JOB_NAME"], args)
orders = glue_context.create_dynamic_frame.from_options(
    connection_type="postgresql",
    connection_options={
        "useConnectionProperties": "true",
        "connectionName": "db",
        "dbtable": "orders",
        "jobBookmarkKeys": ["id"],
        "jobBookmarkKeysSortOrder": "asc",
    },
    transformation_ctx="orders",
)
glue_context.write_dynamic_frame.from_options(
    frame=orders,
    connection_type="s3",
    connection_options={"path": args["target_path"]},
    format="parquet",
)
job.commit()
