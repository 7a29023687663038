"""Verifies one webhook delivery with the `standardwebhooks` package (PyPI), the Standard
Webhooks reference implementation: reads {"secret", "headers", "body"} as JSON on stdin,
prints the verified payload, exits 1 with the library's error when verification fails."""
import json
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

msg = json.load(sys.stdin)
try:
    payload = Webhook(msg["secret"]).verify(msg["body"], msg["headers"])
except WebhookVerificationError as e:
    print(f"not verified: {e}", file=sys.stderr)
    sys.exit(1)
print(json.dumps(payload))
