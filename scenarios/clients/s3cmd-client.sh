#!/bin/sh
# A client on Debian's s3cmd (2.3; its own S3 code, no SDK): `put` uploads a
# model, `get` downloads a feature object. s3cmd retries a failed upload
# after 3 s, 6 s, ... but a download only after a dropped connection: any
# error status ends it.
set -eu
unset AWS_CA_BUNDLE
host=${AWS_ENDPOINT_URL#http://}
s3cmd() {
	command s3cmd -c /dev/null --no-ssl --host="$host" --host-bucket="$host" --region=us-east-1 \
		--access_key="$AWS_ACCESS_KEY_ID" --secret_key="$AWS_SECRET_ACCESS_KEY" "$@"
}
case "${1:-put}" in
put)
	printf 'weights %s' "$GAMEDAY_RUN_ID" > "$GAMEDAY_STATE_DIR/model.bin"
	s3cmd put "$GAMEDAY_STATE_DIR/model.bin" "s3://models/$GAMEDAY_RUN_ID/model.bin"
	;;
get)
	s3cmd get --force s3://features/day/part-0.bin "$GAMEDAY_STATE_DIR/part-0.bin"
	;;
esac
