#!/bin/sh
# A client that retries every failure after the same fixed 1 s sleep (curl's
# own --retry with --retry-delay, which turns its exponential backoff off):
# no growth, no jitter. It reads two feature-API paths.
set -eu
for path in /v1/features/a /v1/features/b; do
	curl -s -S -o "$GAMEDAY_STATE_DIR/body" --retry 4 --retry-delay 1 "$GAMEDAY_FEATURE_API_URL$path"
	echo "read $path"
done
