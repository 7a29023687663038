"""Runs scim2-tester (PyPI), the independent SCIM 2.0 compliance checker, against a live
server: `scim_check.py BASE_URL TOKEN`. Prints every check; exits 1 if any is an ERROR or
CRITICAL (a violation of what RFC 7643/7644 require)."""
import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

base, token = sys.argv[1], sys.argv[2]
client = SyncSCIMClient(httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30))
results = check_server(client)
bad = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
for r in results:
    print(f"{r.status.name:10} {r.title}: {r.reason or ''}")
counts = {}
for r in results:
    counts[r.status.name] = counts.get(r.status.name, 0) + 1
print("by status:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
print(f"{len(results)} checks, {len(bad)} failed")
sys.exit(1 if bad or not results else 0)
