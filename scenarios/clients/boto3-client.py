#!/usr/bin/python3
"""A small S3 client on Debian's python3-boto3, for judging real SDK retries.

It talks to $AWS_ENDPOINT_URL (botocore 1.29 ignores that variable, so it is
passed explicitly) with the credentials gameday hands over, and does what
$CLIENT_OP says:

  get           one get_object of features/day/part-0.bin
  put           one put_object of models/<run_id>/model.bin
  head-put-head head_object (404 expected), put_object, head_object again
  parallel-get  two get_object calls of two keys at once, in two threads

(a comma-separated list runs each in turn).

RETRY_MODE (legacy | standard) and MAX_ATTEMPTS configure botocore's own
retries. APP_LOOPS > 1 wraps the operation in an application-level retry
loop that sleeps APP_SLEEP seconds after a failed try, as many pipelines do.
It exits 0 when the operation finally succeeded, 1 otherwise.
"""
import os
import sys
import threading
import time

import boto3
import botocore
from botocore.config import Config

retries = {"mode": os.environ.get("RETRY_MODE", "legacy")}
if os.environ.get("MAX_ATTEMPTS"):
    retries["max_attempts"] = int(os.environ["MAX_ATTEMPTS"])
s3 = boto3.client(
    "s3",
    endpoint_url=os.environ["AWS_ENDPOINT_URL"],
    config=Config(retries=retries, connect_timeout=2, read_timeout=10,
                  s3={"addressing_style": "path"}),
)
run_id = os.environ.get("GAMEDAY_RUN_ID", "run")


def get(key="day/part-0.bin"):
    s3.get_object(Bucket="features", Key=key)["Body"].read()


def put():
    s3.put_object(Bucket="models", Key=run_id + "/model.bin", Body=b"weights " + run_id.encode())


def head_put_head():
    key = run_id + "/meta.json"
    try:
        s3.head_object(Bucket="models", Key=key)
        raise SystemExit("meta.json exists before the run")
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] not in ("404", "NoSuchKey", "NotFound"):
            raise
    s3.put_object(Bucket="models", Key=key, Body=b'{"committed": true}')
    s3.head_object(Bucket="models", Key=key)


def parallel_get():
    errors = []

    def one(key):
        try:
            get(key)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=one, args=(k,)) for k in ("day/part-0.bin", "day/part-1.bin")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


ops = {"get": get, "put": put, "head-put-head": head_put_head, "parallel-get": parallel_get}
steps = [ops[name] for name in os.environ.get("CLIENT_OP", "get").split(",")]


def op():
    for step in steps:
        step()


loops = int(os.environ.get("APP_LOOPS", "1"))
for attempt in range(1, loops + 1):
    try:
        op()
        print("ok after", attempt, "tries")
        sys.exit(0)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        print("try", attempt, "failed:", e, file=sys.stderr)
        if attempt < loops:
            time.sleep(float(os.environ.get("APP_SLEEP", "0.3")))
sys.exit(1)
