#!/bin/sh
# A client that retries 429s after 100 ms, whatever Retry-After says.
set -u
n=0
while [ $n -lt 6 ]; do
	n=$((n + 1))
	code=$(curl -s -o /dev/null -w '%{http_code}' "$GAMEDAY_FEATURE_API_URL/v1/features")
	echo "attempt=$n status=$code"
	[ "$code" = 200 ] && exit 0
	sleep 0.1
done
exit 1
