"""A stand-in for Slack's Web API for benchmarks: answers every call as Slack would when it
goes well, after DELAY_MS (default 20) like a real round trip, and counts chat.postMessage
calls to the announce channel, which GET /count answers.

    python3 bench/slack_standin.py PORT
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DELAY = int(os.environ.get("DELAY_MS", "20")) / 1000
lock = threading.Lock()
counts = {"announced": 0, "calls": 0}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = json.dumps(counts).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(DELAY)
        answer = {"ok": True}
        with lock:
            counts["calls"] += 1
            if self.path == "/chat.postMessage":
                args = json.loads(raw or b"{}")
                answer = {"ok": True, "channel": args.get("channel"), "ts": f"{time.time():.6f}"}
                if args.get("channel") == "C-BENCH":
                    counts["announced"] += 1
            elif self.path == "/users.lookupByEmail":
                answer = {"ok": True, "user": {"id": "U-BENCH"}}
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the service stopping mid-call at the end of a run is expected


Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
