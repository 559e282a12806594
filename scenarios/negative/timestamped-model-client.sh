#!/bin/sh
# A non-idempotent trainer: every attempt uploads its model under a new,
# timestamped key (models/<run_id>/model-<nanoseconds>.bin), then meta.json.
# Credentials go to curl on stdin (-K -), never on its command line.
set -eu
ts=$(date +%s%N)
printf 'model of attempt %s at %s\n' "$GAMEDAY_ATTEMPT" "$ts" > "$GAMEDAY_STATE_DIR/model-$GAMEDAY_ATTEMPT.bin"
put() {
	printf 'user = "%s:%s"\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" |
		curl -s -f -K - --aws-sigv4 "aws:amz:us-east-1:s3" -X PUT \
			-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
			--data-binary "@$1" "$AWS_ENDPOINT_URL/models/$GAMEDAY_RUN_ID/$2"
}
put "$GAMEDAY_STATE_DIR/model-$GAMEDAY_ATTEMPT.bin" "model-$ts.bin"
echo "uploaded model-$ts.bin"
printf '{"run_id":"%s"}\n' "$GAMEDAY_RUN_ID" > "$GAMEDAY_STATE_DIR/meta.json"
put "$GAMEDAY_STATE_DIR/meta.json" meta.json
echo "committed"
