#!/usr/bin/env python3
"""HTTP proxy stand-in: forwards plain requests (absolute-form, `POST http://host/...`) and tunnels `CONNECT`, and
records every request it was asked to carry.

Proxy (--port): plain HTTP/1.1 forwarding (the request is sent upstream with `Connection: close`, the answer relayed
  until the upstream closes) and CONNECT tunnels (`200 Connection established`, then bytes both ways).
  --alias-domain DOMAIN: host names under DOMAIN (e.g. pyroscope.proxied.test) lead to 127.0.0.1, the port kept;
  they exist only inside the proxy, so a client that bypassed it could not have reached them.
  --require-auth USER:PASSWORD: anything without that Proxy-Authorization (Basic) gets 407.
Query (--query-port, JSON):
  GET /health     {"status":"ok","requests":N}
  GET /requests   [{"seq","method","target","host","port","auth":{"scheme","user","password_present"},"outcome"}]
                  outcome: "forwarded" | "tunnelled" | "refused: ..." | "upstream failed: ..."
Start-up: prints one JSON line {"port":..,"query_port":..,"url":..,"query_url":..,"pid":..}.
"""

import argparse
import base64
import binascii
import os
import select
import socket
import socketserver
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import standin_common as common  # noqa: E402

RELAY_IDLE_SECONDS = 30


class Log:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []

    def record(self, entry):
        with self.lock:
            entry["seq"] = len(self.requests) + 1
            self.requests.append(entry)
            return entry

    def snapshot(self):
        with self.lock:
            return [dict(entry) for entry in self.requests]


def proxy_auth(header):
    if not header:
        return {"scheme": None, "user": None, "password_present": False}
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "basic":
        return {"scheme": scheme.lower(), "user": None, "password_present": bool(credentials)}
    try:
        user, _, password = base64.b64decode(credentials.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return {"scheme": "basic", "user": None, "password_present": False}
    return {"scheme": "basic", "user": user, "password_present": bool(password), "_pair": f"{user}:{password}"}


def split_host_port(text, default_port):
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    return host, int(port) if port else default_port


def relay(a, b):
    """Copies bytes both ways until either side closes or both stay quiet for RELAY_IDLE_SECONDS."""
    sockets = [a, b]
    while True:
        readable, _, _ = select.select(sockets, [], [], RELAY_IDLE_SECONDS)
        if not readable:
            return
        for source in readable:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                return
            (b if source is a else a).sendall(data)


def make_handler(log, alias_domain, required_auth):
    class ProxyHandler(socketserver.StreamRequestHandler):
        def upstream_address(self, host, port):
            if alias_domain and (host == alias_domain or host.endswith("." + alias_domain)):
                return (common.LOOPBACK, port)
            return (host, port)

        def answer(self, status, reason):
            body = f"{status} {reason}\n".encode()
            self.wfile.write(f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
                             f"Proxy-Authenticate: Basic realm=\"standin\"\r\n\r\n".encode() + body)

        def handle(self):
            request_line = self.rfile.readline(65537).decode("latin-1").rstrip("\r\n")
            if not request_line:
                return
            header_lines = []
            while True:
                line = self.rfile.readline(65537).decode("latin-1")
                if line in ("\r\n", "\n", ""):
                    break
                header_lines.append(line.rstrip("\r\n"))
            headers = {}
            for line in header_lines:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            method, target, version = (request_line.split(" ") + ["", ""])[:3]
            auth = proxy_auth(headers.get("proxy-authorization"))
            entry = {"method": method, "target": target, "auth": {k: v for k, v in auth.items() if not k.startswith("_")}}
            if method == "CONNECT":
                host, port = split_host_port(target, 443)
            else:
                url = target.split("://", 1)[1] if "://" in target else ""
                authority, slash, path = url.partition("/")
                host, port = split_host_port(authority, 80)
                path = "/" + path
            entry.update({"host": host, "port": port})
            if required_auth and auth.get("_pair") != required_auth:
                entry["outcome"] = "refused: proxy authentication required"
                log.record(entry)
                self.answer(407, "Proxy Authentication Required")
                return
            if method != "CONNECT" and not host:
                entry["outcome"] = "refused: not an absolute-form request"
                log.record(entry)
                self.answer(400, "Bad Request")
                return
            try:
                upstream = socket.create_connection(self.upstream_address(host, port), timeout=10)
            except OSError as error:
                entry["outcome"] = f"upstream failed: {error}"
                log.record(entry)
                self.answer(502, "Bad Gateway")
                return
            with upstream:
                upstream.settimeout(None)
                if method == "CONNECT":
                    entry["outcome"] = "tunnelled"
                    log.record(entry)
                    self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    self.wfile.flush()
                    relay(self.connection, upstream)
                    return
                entry["outcome"] = "forwarded"
                log.record(entry)
                kept = [line for line in header_lines
                        if line.partition(":")[0].strip().lower() not in ("proxy-authorization", "proxy-connection", "connection")]
                head = f"{method} {path} {version}\r\n" + "".join(f"{line}\r\n" for line in kept) + "Connection: close\r\n\r\n"
                length = int(headers.get("content-length") or 0)
                upstream.sendall(head.encode("latin-1") + (self.rfile.read(length) if length else b""))
                while True:
                    data = upstream.recv(65536)
                    if not data:
                        break
                    self.wfile.write(data)

    return ProxyHandler


class ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def make_query_handler(log):
    class QueryHandler(common.JSONHandler):
        def do_GET(self):  # noqa: N802
            if self.path == "/health":
                self.reply_json(200, {"status": "ok", "requests": len(log.snapshot())})
            elif self.path == "/requests":
                self.reply_json(200, log.snapshot())
            else:
                self.reply(404, "not found")

    return QueryHandler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="proxy port (0 = a free port)")
    parser.add_argument("--query-port", type=int, default=0, help="query port (0 = a free port)")
    parser.add_argument("--alias-domain", help="host names under this domain lead to 127.0.0.1")
    parser.add_argument("--require-auth", help="USER:PASSWORD every request must carry as Proxy-Authorization")
    common.add_common_arguments(parser)
    args = parser.parse_args()
    common.install_stop_handlers(args.exit_on_stdin_eof)

    log = Log()
    try:
        proxy = ProxyServer((common.LOOPBACK, args.port), make_handler(log, args.alias_domain, args.require_auth))
        query = common.QuietServer((common.LOOPBACK, args.query_port), make_query_handler(log))
    except OSError as error:
        sys.exit(f"http_proxy: cannot bind: {error}")
    common.serve_in_background(proxy)
    common.serve_in_background(query)
    port, query_port = proxy.server_address[1], query.server_address[1]
    common.announce({
        "port": port, "query_port": query_port,
        "url": f"http://{common.LOOPBACK}:{port}",
        "query_url": f"http://{common.LOOPBACK}:{query_port}",
        "pid": os.getpid(),
    })
    common.wait_for_stop()
    proxy.shutdown()
    query.shutdown()


if __name__ == "__main__":
    main()
