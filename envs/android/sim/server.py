"""The simulated phone's adbd: a TCP server on 127.0.0.1 speaking the real ADB wire protocol.

THIS IS A SIMULATOR. It answers CNXN (optionally after AUTH with RSA host keys), OPEN of the
``shell:`` and ``exec:`` services, OKAY-paced WRTE output and CLSE, so adb-shell's AdbDeviceTcp
and the host ``adb`` client (``adb connect``, ``adb shell``, ``adb exec-out``) talk to it as to an
emulator's adbd. Behind it runs ``sim.commands.Device``. A malformed packet closes that one
connection; the server keeps serving the others.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from . import protocol as P
from .commands import PROPS, Device

BANNER = ("device::" + ";".join(f"{k}={PROPS[k]}" for k in
                                ("ro.product.name", "ro.product.model", "ro.product.device"))
          + ";features=cmd").encode() + b"\0"


@dataclass
class _Stream:
    local: int  # the host's id for the stream
    chunks: deque = field(default_factory=deque)


class _Connection:
    """One host connection: its handshake state and open streams."""

    def __init__(self, server: PhoneServer, sock: socket.socket):
        self.server = server
        self.sock = sock
        self.version: int | None = None
        self.maxdata = P.MAX_PAYLOAD
        self.online = False
        self.token = b""
        self.streams: dict[int, _Stream] = {}
        self.next_id = 1

    # -- io ----------------------------------------------------------------------------------------
    def _recv(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            part = self.sock.recv(n - len(buf))
            if not part:
                raise EOFError
            buf += part
        return bytes(buf)

    def read(self) -> P.Message:
        head = self.sock.recv(P.HEADER.size, socket.MSG_WAITALL)
        if not head:
            raise EOFError
        command, arg0, arg1, length, check = P.unpack_header(head, self.server.max_payload)
        data = self._recv(length) if length else b""
        must_check = (self.version is None and check != 0) or (
            self.version is not None and self.version < P.VERSION_SKIP_CHECKSUM)
        if must_check and P.checksum(data) != check:
            raise P.ProtocolError(f"{P.NAMES[command]} data check {check} does not match")
        return P.Message(command, arg0, arg1, data)

    def send(self, msg: P.Message) -> None:
        self.sock.sendall(msg.pack())

    # -- protocol ------------------------------------------------------------------------------------
    def handle(self, m: P.Message) -> None:
        if m.command == P.CNXN:
            self.version = min(m.arg0, P.VERSION_SKIP_CHECKSUM)
            self.maxdata = max(256, min(m.arg1 or P.MAX_PAYLOAD, self.server.max_payload))
            if self.server.require_auth and not self.online:
                self._challenge()
            else:
                self._welcome()
            return
        if self.version is None:
            raise P.ProtocolError(f"{m.name} before CNXN")
        if m.command == P.AUTH:
            self._auth(m)
            return
        if not self.online:
            raise P.ProtocolError(f"{m.name} before the connection was authorised")
        if m.command == P.OPEN:
            self._open(m)
        elif m.command == P.OKAY:
            stream = self.streams.get(m.arg1)
            if stream is not None:
                self._pump(m.arg1, stream)
        elif m.command == P.WRTE:
            # input to a running command: acknowledge it (the simulated commands read no stdin)
            self.send(P.Message(P.OKAY, m.arg1, m.arg0))
        elif m.command == P.CLSE:
            self.streams.pop(m.arg1, None)
        elif m.command == P.STLS:
            raise P.ProtocolError("TLS (STLS) is not supported by the simulator")

    def _welcome(self) -> None:
        self.online = True
        self.send(P.Message(P.CNXN, self.version or P.VERSION, self.server.max_payload, BANNER))

    def _challenge(self) -> None:
        self.token = os.urandom(20)
        self.send(P.Message(P.AUTH, P.AUTH_TOKEN, 0, self.token))

    def _auth(self, m: P.Message) -> None:
        if self.online:
            return
        if m.arg0 == P.AUTH_SIGNATURE:
            if any(P.verify_token(k, self.token, m.data) for k in self.server.keys()):
                self._welcome()
            else:
                self._challenge()  # as adbd does: try the next key
        elif m.arg0 == P.AUTH_RSAPUBLICKEY:
            key = P.decode_android_pubkey(m.data)
            if not self.server.accept_new_keys:
                self.server.note("rejected an unknown host key")
                raise ConnectionRefusedError("host key not authorised")
            self.server.add_key(key)
            self._welcome()
        else:
            raise P.ProtocolError(f"AUTH type {m.arg0} from the host")

    def _open(self, m: P.Message) -> None:
        dest = m.data.rstrip(b"\0").decode("utf-8", "surrogateescape")
        service, _, command = dest.partition(":")
        remote = self.next_id
        self.next_id += 1
        if service not in ("shell", "exec"):
            # an unknown service (sync:, shell,v2:, reverse:, ...): refuse the stream
            self.send(P.Message(P.CLSE, 0, m.arg0))
            return
        if not command.strip():
            out = b"vagent simulated phone: no interactive shell; give a command\n"
        else:
            out = self.server.device.run_line(command, service)
        stream = _Stream(local=m.arg0)
        step = self.maxdata
        stream.chunks.extend(out[i:i + step] for i in range(0, len(out), step))
        self.streams[remote] = stream
        self.send(P.Message(P.OKAY, remote, m.arg0))
        self._pump(remote, stream)

    def _pump(self, remote: int, stream: _Stream) -> None:
        """Send the next chunk (the host's OKAY paces them) or close the stream."""
        if stream.chunks:
            self.send(P.Message(P.WRTE, remote, stream.local, stream.chunks.popleft()))
        else:
            self.streams.pop(remote, None)
            self.send(P.Message(P.CLSE, remote, stream.local))


class PhoneServer:
    """The simulated phone on 127.0.0.1:PORT (port 0 picks a free one). ``start()`` serves in a
    background thread; use as a context manager or call ``stop()``."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", device: Device | None = None,
                 state_file: str | Path | None = None, log: str | Path | None = None,
                 require_auth: bool = False, authorized_keys: list[str] | None = None,
                 accept_new_keys: bool = True, max_payload: int = P.MAX_PAYLOAD,
                 verbose: bool = False):
        self.device = device or Device(state_file=state_file, log=log)
        self.require_auth = require_auth
        self.accept_new_keys = accept_new_keys
        self._keys = [P.decode_android_pubkey(k) for k in (authorized_keys or [])]
        self.max_payload = max_payload
        self.verbose = verbose
        self.errors: list[str] = []  # why connections were closed (malformed packets, ...)
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._listener = socket.create_server((host, port))
        self.host, self.port = self._listener.getsockname()[:2]
        self._thread: threading.Thread | None = None
        self._stopping = False

    @property
    def serial(self) -> str:
        return f"{self.host}:{self.port}"

    def keys(self) -> list[tuple[int, int]]:
        with self._lock:
            return list(self._keys)

    def add_key(self, key: tuple[int, int]) -> None:
        with self._lock:
            self._keys.append(key)

    def note(self, text: str) -> None:
        self.errors.append(text)
        if self.verbose:
            print(f"vagent sim phone: {text}", file=sys.stderr)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> PhoneServer:
        self._thread = threading.Thread(target=self.serve_forever, name="vagent-sim-phone",
                                        daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        while not self._stopping:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                break
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._conns.add(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        conn = _Connection(self, sock)
        try:
            while True:
                conn.handle(conn.read())
        except P.ProtocolError as e:
            self.note(f"closed a connection: malformed packet ({e})")
        except ConnectionRefusedError as e:
            self.note(f"closed a connection: {e}")
        except (EOFError, OSError):
            pass
        finally:
            with self._lock:
                self._conns.discard(sock)
            try:
                sock.close()
            except OSError:
                pass

    def drop_connections(self) -> None:
        """Cut every open connection (a cable pulled); the server keeps listening."""
        with self._lock:
            conns = list(self._conns)
        for sock in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self) -> None:
        self._stopping = True
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        except OSError:
            pass
        try:
            self._listener.close()
        except OSError:
            pass
        self.drop_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> PhoneServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
