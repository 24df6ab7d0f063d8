# ruff: noqa: F403, F405, I001, N802, N803, N816
# A Glue Studio job as Glue Studio writes it (PostgreSQL -> Change Schema -> SQL Query ->
# Amazon S3), the original that test_etl_glue_port.py ports to etl: the test reads this file's
# ApplyMapping list and SQL query with `ast`, so the port runs them unchanged.  It never runs
# here (awsglue needs Glue's jars), and pytest does not collect it.
import sys
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue import DynamicFrame


def sparkSqlQuery(glueContext, query, mapping, transformation_ctx) -> DynamicFrame:
    for alias, frame in mapping.items():
        frame.toDF().createOrReplaceTempView(alias)
    result = spark.sql(query)
    return DynamicFrame.fromDF(result, glueContext, transformation_ctx)


args = getResolvedOptions(sys.argv, ["JOB_NAME", "source_table"])
sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

# Script generated for node PostgreSQL
PostgreSQL_node1714560000001 = glueContext.create_dynamic_frame.from_options(
    connection_type="postgresql",
    connection_options={
        "useConnectionProperties": "true",
        "dbtable": args["source_table"],
        "connectionName": "my-rds-vpc-connection",
    },
    transformation_ctx="PostgreSQL_node1714560000001",
)

# Script generated for node Change Schema
ChangeSchema_node1714560000002 = ApplyMapping.apply(
    frame=PostgreSQL_node1714560000001,
    mappings=[
        ("order_id", "int", "order_id", "long"),
        ("`customer.name`", "string", "customer_name", "string"),
        ("price", "decimal", "price", "decimal"),
        ("ordered_at", "string", "order_date", "date"),
        ("ship_city", "string", "shipping.city", "string"),
        ("status", "string", "status", "string"),
    ],
    transformation_ctx="ChangeSchema_node1714560000002",
)

# Script generated for node SQL Query
SqlQuery0 = """
select order_id, customer_name, price, order_date, shipping
from myDataSource
where status <> 'cancelled'
"""
SQLQuery_node1714560000003 = sparkSqlQuery(
    glueContext,
    query=SqlQuery0,
    mapping={"myDataSource": ChangeSchema_node1714560000002},
    transformation_ctx="SQLQuery_node1714560000003",
)

# Script generated for node Amazon S3
AmazonS3_node1714560000004 = glueContext.write_dynamic_frame.from_options(
    frame=SQLQuery_node1714560000003,
    connection_type="s3",
    format="glueparquet",
    connection_options={"path": "s3://lake/curated/orders/", "partitionKeys": []},
    format_options={"compression": "snappy"},
    transformation_ctx="AmazonS3_node1714560000004",
)

job.commit()
