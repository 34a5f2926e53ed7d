"""A TCP proxy in front of a shared local service, for fault tests: `outage(s)` drops every connection and
refuses new ones for s seconds, as a restart of the service would, without touching the service itself."""

import socket
import threading
import time
from contextlib import contextmanager
from typing import Iterator


class FaultProxy:
    """Forwards 127.0.0.1:<port> to target_port until closed; `down` refuses and drops connections."""

    def __init__(self, target_port: int):
        self.target_port, self.down = target_port, threading.Event()
        self._pairs: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.down.is_set():
                client.close()  # refused, as by a server that is not listening yet
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def drop_all(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for s in pairs:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def outage(self, seconds: float) -> threading.Thread:
        """Start an outage of `seconds` in the background; returns the thread that ends it."""
        self.down.set()
        self.drop_all()

        def end():
            time.sleep(seconds)
            self.down.clear()

        thread = threading.Thread(target=end, daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self.drop_all()


@contextmanager
def fault_proxy(target_port: int) -> Iterator[FaultProxy]:
    proxy = FaultProxy(target_port)
    try:
        yield proxy
    finally:
        proxy.close()
