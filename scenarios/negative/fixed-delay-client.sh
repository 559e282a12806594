#!/bin/sh
# A client that retries every failure after the same fixed 300 ms sleep: no
# backoff growth, no jitter. It reads two feature-API paths, retrying each
# until it answers 200 (at most 6 attempts).
set -u
get() {
	n=0
	while [ $n -lt 6 ]; do
		n=$((n + 1))
		code=$(curl -s -o /dev/null -w '%{http_code}' "$GAMEDAY_FEATURE_API_URL$1")
		echo "attempt=$n path=$1 status=$code"
		[ "$code" = 200 ] && return 0
		sleep 0.3
	done
	return 1
}
get /v1/features/a && get /v1/features/b
