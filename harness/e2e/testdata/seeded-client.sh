#!/bin/sh
# Thirty sequential reads, no retries: the order of requests is fixed, so the
# seeded probability draws decide alone which ones fail.
i=0
while [ $i -lt 30 ]; do
	i=$((i + 1))
	curl -s -o /dev/null -w "%{http_code}\n" "$GAMEDAY_FEATURE_API_URL/v1/items/$i"
done
exit 0
