"""Shared plumbing of the protocol stand-ins (run with the venv made by scripts/setup.sh).

Start-up protocol: every stand-in binds its ports (0 = a free port chosen by the kernel), then prints exactly
one line of JSON to stdout with the actual ports and URLs, flushes, and keeps running until SIGTERM/SIGINT
(or, with --exit-on-stdin-eof, until its stdin is closed, so a test that dies cannot leak a receiver).
Nothing else is ever written to stdout; diagnostics go to stderr only when something fails.
"""

import io
import json
import os
import signal
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOOPBACK = "127.0.0.1"


def generated_dir():
    """Folder holding profile_pb2.py (scripts/setup.sh generates it into <venv>/standins-gen)."""
    return os.environ.get("HYBRID_STANDINS_GEN") or os.path.join(sys.prefix, "standins-gen")


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        # A client that hangs up mid-request is normal in tests (timeouts, killed processes).
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class TLSServer(QuietServer):
    """QuietServer over TLS (certificate and key in PEM files). The handshake runs in the connection's own thread,
    so a client that connects and never speaks TLS holds up no one else. With http2, ALPN offers h2 first and a
    client that takes it is served HTTP/2 by the same handler (serve_http2)."""

    def __init__(self, address, handler, cert_file, key_file, http2=False):
        self.tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.tls_context.load_cert_chain(cert_file, key_file)
        self.tls_context.set_alpn_protocols(["h2", "http/1.1"] if http2 else ["http/1.1"])
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        try:
            request = self.tls_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client refused our certificate or hung up: what a TLS server sees then
        if request.selected_alpn_protocol() == "h2":
            serve_http2(request, client_address, self)
        else:
            super().finish_request(request, client_address)


HOP_BY_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"}


def serve_http2(connection, client_address, server):
    """Serves one HTTP/2 connection (the h2 package): each request is handed to the server's HTTP/1.1 handler class
    as the equivalent HTTP/1.1 request (handler.http2 set), and its answer sent back on the stream."""
    import h2.config
    import h2.connection
    import h2.events

    h2_connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    h2_connection.initiate_connection()
    connection.sendall(h2_connection.data_to_send())
    streams = {}
    while True:
        try:
            data = connection.recv(65536)
        except OSError:
            return
        if not data:
            return
        for event in h2_connection.receive_data(data):
            if isinstance(event, h2.events.RequestReceived):
                streams[event.stream_id] = (event.headers, bytearray())
            elif isinstance(event, h2.events.DataReceived):
                streams[event.stream_id][1].extend(event.data)
                h2_connection.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                headers, body = streams.pop(event.stream_id)
                status, response_headers, response_body = answer_as_http1(server, connection, client_address, headers, bytes(body))
                h2_connection.send_headers(event.stream_id, [(":status", str(status))] + response_headers)
                h2_connection.send_data(event.stream_id, response_body, end_stream=True)
            elif isinstance(event, h2.events.ConnectionTerminated):
                connection.sendall(h2_connection.data_to_send())
                return
        connection.sendall(h2_connection.data_to_send())


def answer_as_http1(server, connection, client_address, headers, body):
    """Runs server.RequestHandlerClass on the HTTP/1.1 form of an HTTP/2 request; returns status, headers, body."""
    pseudo = {name: value for name, value in headers if name.startswith(":")}
    lines = [f"{pseudo.get(':method', 'GET')} {pseudo.get(':path', '/')} HTTP/1.1", f"Host: {pseudo.get(':authority', '')}"]
    lines += [f"{name}: {value}" for name, value in headers if not name.startswith(":") and name != "content-length"]
    lines.append(f"Content-Length: {len(body)}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    answer = io.BytesIO()

    class OverHTTP2(server.RequestHandlerClass):
        http2 = True

        def setup(self):
            self.connection = connection
            self.rfile = io.BytesIO(request)
            self.wfile = answer

        def finish(self):
            pass

    OverHTTP2(None, client_address, server)
    head, _, response_body = answer.getvalue().partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    response_headers = []
    for line in header_lines:
        name, _, value = line.partition(":")
        if name.strip().lower() not in HOP_BY_HOP_HEADERS:
            response_headers.append((name.strip().lower(), value.strip()))
    return int(status_line.split(" ")[1]), response_headers, response_body


class JSONHandler(BaseHTTPRequestHandler):
    """BaseHTTPRequestHandler with HTTP/1.1 keep-alive, no access log, and small reply helpers."""

    protocol_version = "HTTP/1.1"
    server_version = "hybrid-run-standin"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - silence the per-request access log
        pass

    def read_body(self):
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(length)) if length else b""

    def reply(self, status, body=b"", content_type="text/plain; charset=utf-8", headers=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        if body or status not in (204, 304):
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def reply_json(self, status, value):
        self.reply(status, json.dumps(value, separators=(",", ":")), "application/json")


def serve_in_background(server):
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    return thread


def announce(info):
    """The one stdout line of the start-up protocol."""
    sys.stdout.write(json.dumps(info, separators=(",", ":")) + "\n")
    sys.stdout.flush()


_stop = threading.Event()


def install_stop_handlers(exit_on_stdin_eof=False):
    """Call before binding/announcing, so a SIGTERM sent right after the announcement is never lost."""
    def on_signal(signum, frame):
        _stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if exit_on_stdin_eof:
        def watch_stdin():
            try:
                # The raw fd, not sys.stdin: a thread blocked in a buffered read would hold the buffer's lock
                # and stall the interpreter's shutdown.
                while os.read(0, 4096):
                    pass
            except (OSError, ValueError):
                pass
            _stop.set()

        threading.Thread(target=watch_stdin, daemon=True).start()


def wait_for_stop():
    """Blocks until SIGTERM/SIGINT (or stdin EOF when install_stop_handlers was asked to watch it)."""
    while not _stop.wait(3600):
        pass


def add_common_arguments(parser):
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="also stop when stdin is closed (the parent died or let go)")
