"""Example Glue job: copy a PostgreSQL table to Parquet in the data bucket.

It reads through the Glue connection `my-rds-vpc-connection` (URL and credentials come from the
connection and its Secrets Manager secret; nothing secret is passed as an argument) and writes
into the data bucket through the S3 gateway endpoint.
"""

import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source_table", "target_prefix", "data_bucket"])
glue_context = GlueContext(SparkContext.getOrCreate())
job = Job(glue_context)
job.init(args["JOB_NAME"], args)

orders = glue_context.create_dynamic_frame.from_options(
    connection_type="postgresql",
    connection_options={
        "useConnectionProperties": "true",
        "connectionName": "my-rds-vpc-connection",
        "dbtable": args["source_table"],
    },
    transformation_ctx="orders",
)
glue_context.write_dynamic_frame.from_options(
    frame=orders,
    connection_type="s3",
    connection_options={"path": f"s3://{args['data_bucket']}/{args['target_prefix']}/"},
    format="parquet",
    transformation_ctx="orders_sink",
)
job.commit()
