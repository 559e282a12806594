#!/bin/sh
# Tries every way a workload could spill its credentials into gameday's
# outputs: stdout, stderr, a query parameter, a request header, a path. It
# also hands them to the test through $LEAK_FILE (outside --out) so the test
# knows what to look for.
printf '%s\n%s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" > "$LEAK_FILE"
echo "key=$AWS_ACCESS_KEY_ID secret=$AWS_SECRET_ACCESS_KEY"
echo "stderr secret=$AWS_SECRET_ACCESS_KEY" >&2
env | grep AWS_
curl -s -o /dev/null "$AWS_ENDPOINT_URL/models/?token=$AWS_SECRET_ACCESS_KEY&user=$AWS_ACCESS_KEY_ID"
curl -s -o /dev/null -H "X-Debug: $AWS_SECRET_ACCESS_KEY" "$GAMEDAY_FEATURE_API_URL/v1/schema"
curl -s -o /dev/null "$GAMEDAY_FEATURE_API_URL/v1/$AWS_SECRET_ACCESS_KEY"
exit 0
