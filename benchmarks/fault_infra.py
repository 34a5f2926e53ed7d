"""Services benchmarks/faults.py starts and breaks on purpose, each its own: a Postgres cluster (initdb in a temp
folder, `pg_ctl` on a free port; as the `postgres` user when run as root), a redis-server without persistence on
a free port, and an HTTP proxy in front of the offline model server that can answer 503 for a window. Nothing
here touches the shared services on 5432/6379/5672."""

import glob
import http.client
import os
import pwd
import shutil
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30, closed: bool = False) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            if not closed:
                return
        except OSError:
            if closed:
                return
        time.sleep(0.1)
    raise RuntimeError(f"port {port} did not {'close' if closed else 'open'} within {timeout}s")


def kill_group(proc: subprocess.Popen | None, grace: float = 15) -> None:
    """SIGTERM to the process group of `proc` (started with start_new_session), SIGKILL after `grace` s."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    except ProcessLookupError:
        pass


class PgCluster:
    """A throwaway Postgres cluster: trust auth, fsync off, socket and data in `folder`."""

    def __init__(self, folder: Path):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins:
            raise RuntimeError("no pg_ctl under /usr/lib/postgresql/*/bin")
        self.bin = Path(bins[-1]).parent
        self.folder, self.data, self.port = folder, folder / "data", free_port()
        self.log = folder / "postgres.log"
        self.started = False
        folder.mkdir(parents=True, exist_ok=True)
        self._as = []
        if os.geteuid() == 0:  # initdb refuses root
            user = pwd.getpwnam("postgres")
            shutil.chown(folder, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.log), "-w", "-t", "60",
                  "start")
        self.started = True

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self.started = False

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        import psycopg2

        conn = psycopg2.connect(self.url("postgres"))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()

    def close(self) -> None:
        """Stop it for sure (fast, then immediate)."""
        if not (self.data / "postmaster.pid").exists():
            return
        for mode in ("fast", "immediate"):
            try:
                self.stop(mode)
                return
            except subprocess.CalledProcessError:
                continue


class Redis:
    """A redis-server with no persistence, in its own process group: `stop` loses everything, as an outage does."""

    def __init__(self, folder: Path):
        self.folder, self.port, self.proc = folder, free_port(), None
        folder.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        log = open(self.folder / "redis.log", "a")
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.folder)], stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        wait_port(self.port)

    def stop(self) -> None:
        kill_group(self.proc, grace=5)
        wait_port(self.port, closed=True)

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


class ModelProxy:
    """HTTP proxy to the model server: forwards every request, or answers 503 while `down` is set. Counts the
    requests in flight through it and the 503s it gave."""

    def __init__(self, upstream_port: int):
        self.upstream_port, self.down = upstream_port, threading.Event()
        self.in_flight, self.refused, self.forwarded = 0, 0, 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy.down.is_set():
                    with proxy._lock:
                        proxy.refused += 1
                    msg = b'{"error": {"message": "model server unavailable (fault injection)", "type": "server_error"}}'
                    self.send_response(503)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    self.wfile.write(msg)
                    return
                with proxy._lock:
                    proxy.in_flight += 1
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=600)
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    conn.close()
                finally:
                    with proxy._lock:
                        proxy.in_flight -= 1
                        proxy.forwarded += 1
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a killed worker's connection breaks mid-answer: expected here, not a trace on stderr

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
