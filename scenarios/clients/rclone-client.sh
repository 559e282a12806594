#!/bin/sh
# A client on Debian's rclone (aws-sdk-go underneath), for judging nested
# retries that carry no operation header: rclone makes --low-level-retries
# attempts per try and --retries tries, and HEADs the object before each try.
set -eu
unset AWS_CA_BUNDLE
export RCLONE_CONFIG_GD_TYPE=s3 RCLONE_CONFIG_GD_PROVIDER=Minio RCLONE_CONFIG_GD_ENDPOINT="$AWS_ENDPOINT_URL" \
	RCLONE_CONFIG_GD_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" RCLONE_CONFIG_GD_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" \
	RCLONE_CONFIG_GD_REGION=us-east-1 RCLONE_CONFIG_DIR="$GAMEDAY_STATE_DIR"
printf 'weights %s' "$GAMEDAY_RUN_ID" > "$GAMEDAY_STATE_DIR/model.bin"
exec rclone copyto --s3-no-check-bucket --retries "${RCLONE_RETRIES:-2}" --low-level-retries "${RCLONE_LOW_LEVEL_RETRIES:-3}" \
	--retries-sleep 100ms "$GAMEDAY_STATE_DIR/model.bin" "gd:models/$GAMEDAY_RUN_ID/model.bin" -v
