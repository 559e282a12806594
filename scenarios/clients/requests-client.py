"""A client on Debian's python3-requests (urllib3 1.26 retries underneath):
it reads each path given from the feature API with the retry policy most
Python code copies from the docs: Retry(total=4, backoff_factor=0.2,
status_forcelist=[429, 503]). urllib3 honours Retry-After and sleeps
backoff_factor * 2^(n-1) s before retry n (none before the first), with no
jitter."""

import os
import sys

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

base = os.environ["GAMEDAY_FEATURE_API_URL"]
session = requests.Session()
retry = Retry(total=4, backoff_factor=0.2, status_forcelist=[429, 503], allowed_methods=None)
session.mount("http://", HTTPAdapter(max_retries=retry))
for path in sys.argv[1:]:
    r = session.get(base + path, timeout=10)
    print(path, r.status_code, flush=True)
    r.raise_for_status()
