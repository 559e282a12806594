#!/bin/sh
# A client on Debian's awscli 2.9 (botocore inside; its default retry mode):
# it downloads one feature object. awscli 2.9 ignores AWS_ENDPOINT_URL, so
# the endpoint is passed as --endpoint-url.
set -eu
unset AWS_CA_BUNDLE
exec /usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL" s3 cp s3://features/day/part-0.bin "$GAMEDAY_STATE_DIR/part-0.bin"
