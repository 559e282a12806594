#!/bin/sh
# A client on curl --retry, for judging curl's own retries: it reads one
# feature-API path with `curl --retry 3` (curl retries 408, 429, 500, 502,
# 503 and 504, waiting 1 s, 2 s, 4 s: doubling, no jitter).
set -eu
curl -sS -f -o "$GAMEDAY_STATE_DIR/schema.json" --retry 3 "$GAMEDAY_FEATURE_API_URL/v1/schema"
echo "read /v1/schema"
