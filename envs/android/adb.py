"""The device connection: adb-shell's AdbDevice over TCP (or USB), keys, one reconnect.

``Device`` opens an authenticated ADB connection to an Android device's adbd — a phone with
``adb tcpip``, an emulator (host:5555), or the project's simulated phone — and runs shell and
exec commands on it. A dropped connection is reconnected once and the command retried; if that
fails too the caller gets an ``AdbError`` that says what to do.

The RSA key: an existing ``~/.android/adbkey`` (the one the Android SDK's adb uses, so a device
that already trusts this computer trusts vagent too) is reused; otherwise a key is created once in
the user's config dir (``$XDG_CONFIG_HOME/vagent/adbkey``).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from vagent.actions.errors import VagentError


class AdbError(VagentError, RuntimeError):
    """No device, an unauthorised key, a lost connection: one line that says what to do."""


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "vagent"


def key_path(explicit: str | Path | None = None) -> Path:
    """The private key to use: ``explicit``, else ~/.android/adbkey when present, else the
    config dir's key (created on first use)."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.exists():
            _create_key(path)
        return path
    android = Path.home() / ".android" / "adbkey"
    if android.exists() and (android.parent / "adbkey.pub").exists():
        return android
    path = config_dir() / "adbkey"
    if not path.exists():
        _create_key(path)
    return path


def _create_key(path: Path) -> None:
    from adb_shell.auth.keygen import keygen

    path.parent.mkdir(parents=True, exist_ok=True)
    keygen(str(path))
    os.chmod(path, 0o600)


def load_signer(path: str | Path | None = None) -> Any:
    from adb_shell.auth.sign_cryptography import CryptographySigner

    p = key_path(path)
    if not Path(str(p) + ".pub").exists():
        from adb_shell.auth.keygen import write_public_keyfile

        write_public_keyfile(str(p), str(p) + ".pub")
    return CryptographySigner(str(p))


class LazySigner:
    """A signer that finds (or creates) the key only when a device asks for AUTH, so devices
    without auth (the simulator's default) never make vagent write a key."""

    def __init__(self, path: str | Path | None = None):
        self.path = path
        self._signer: Any = None

    def _get(self) -> Any:
        if self._signer is None:
            self._signer = load_signer(self.path)
        return self._signer

    def Sign(self, data: bytes) -> bytes:  # noqa: N802 — adb-shell's signer interface
        return self._get().Sign(data)

    def GetPublicKey(self) -> Any:  # noqa: N802
        return self._get().GetPublicKey()


def _tcp_transport(host: str, port: int) -> Any:
    from adb_shell.transport.tcp_transport import TcpTransport

    class Transport(TcpTransport):
        """adb-shell's TCP transport, plus: a closed socket is an error at once (the stock one
        returns b'' and the reader spins until its timeout), and Nagle is off (a header and its
        payload go out as two writes; with Nagle every command waits ~40 ms for an ACK)."""

        def connect(self, transport_timeout_s: float | None) -> None:
            super().connect(transport_timeout_s)
            self._connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def bulk_read(self, numbytes: int, transport_timeout_s: float | None) -> bytes:
            data = super().bulk_read(numbytes, transport_timeout_s)
            if not data:
                raise ConnectionResetError(f"{self._host}:{self._port} closed the connection")
            return data

    return Transport(host, port)


def parse_serial(serial: str) -> tuple[str, int] | None:
    """'HOST:PORT' → (host, port); a USB serial (no port) → None."""
    host, sep, port = serial.rpartition(":")
    if sep and port.isdigit():
        return host or "127.0.0.1", int(port)
    return None


def _fast_data_check() -> None:
    """adb-shell checks the data of every packet it receives with a Python ``sum`` over its
    bytes: ~1 ms for a 100 kB screenshot (a real phone's PNG of 1-2 MB: 10-20 ms), two thirds
    of a simulated screencap's cost on the host. Its ``adb_device`` module is handed the same
    sum computed by numpy (``sim.protocol.checksum``, tested equal on any bytes): only that
    module's name is rebound, and only while it is adb-shell's own."""
    from adb_shell import adb_device, adb_message

    from .sim.protocol import checksum

    if adb_device.checksum is adb_message.checksum:
        adb_device.checksum = checksum


class Device:
    """One ADB device. ``serial`` is HOST:PORT for TCP, or a USB serial / "usb" for USB."""

    def __init__(self, serial: str, key: str | Path | None = None, timeout: float = 10.0,
                 auth_timeout: float = 10.0):
        self.serial = serial
        self.key = key
        self.timeout = timeout
        self.auth_timeout = auth_timeout
        self._dev: Any = None

    # -- connecting --------------------------------------------------------------------------------
    def connect(self) -> None:
        from adb_shell import exceptions as ex
        from adb_shell.adb_device import AdbDevice

        _fast_data_check()
        self.close()
        target = parse_serial(self.serial)
        if target is not None:
            dev = AdbDevice(_tcp_transport(*target), default_transport_timeout_s=self.timeout)
        else:
            from adb_shell.adb_device import AdbDeviceUsb

            try:  # adb-shell defines the class always; it refuses to build without libusb1
                dev = AdbDeviceUsb(serial=None if self.serial in ("usb", "") else self.serial,
                                   default_transport_timeout_s=self.timeout)
            except ex.InvalidTransportError:
                raise AdbError("USB devices need the usb extra: pip install 'vagent[usb]' "
                               "(or connect over TCP with --serial HOST:PORT)") from None
            except Exception as e:  # no such device, no permission
                raise AdbError(f"no USB device {self.serial!r} ({e}) — plug it in and allow "
                               "USB debugging, or use --serial HOST:PORT") from None
        signer = LazySigner(self.key)
        try:
            dev.connect(rsa_keys=[signer], transport_timeout_s=self.timeout,
                        auth_timeout_s=self.auth_timeout, read_timeout_s=self.timeout)
        except ConnectionRefusedError:
            raise AdbError(f"no device at {self.serial} — start an emulator, enable "
                           "'adb tcpip', or run 'vagent sim phone'") from None
        except (ex.DeviceAuthError, ex.InvalidResponseError) as e:
            raise AdbError(f"{self.serial} did not accept this computer's key ({e}) — allow USB "
                           f"debugging for {key_path(self.key)}.pub on the device") from None
        except (ConnectionResetError, BrokenPipeError, ex.TcpTimeoutException,
                ex.AdbTimeoutError) as e:
            raise AdbError(f"{self.serial} closed or timed out during the handshake ({e}) — "
                           "the device may have refused this computer's key "
                           f"{key_path(self.key)}.pub; allow it on the device") from None
        except OSError as e:
            raise AdbError(f"no device at {self.serial} ({e.strerror or e}) — start an "
                           "emulator or 'vagent sim phone'") from None
        except Exception as e:  # usb1 / adb-shell errors of other kinds
            raise AdbError(f"could not connect to {self.serial}: {e}") from None
        self._dev = dev

    def close(self) -> None:
        if self._dev is not None:
            try:
                self._dev.close()
            except Exception:  # noqa: BLE001 — closing a dead connection may fail; nothing to do
                pass
            self._dev = None

    # -- commands -------------------------------------------------------------------------------------
    def shell(self, command: str, timeout: float | None = None) -> str:
        """Run a shell command; its output as text."""
        return self._call("shell", command, timeout).decode("utf-8", "replace")

    def exec_out(self, command: str, timeout: float | None = None) -> bytes:
        """Run a command through exec: (binary-safe output, for screencap)."""
        return self._call("exec_out", command, timeout)

    def _call(self, method: str, command: str, timeout: float | None) -> bytes:
        from adb_shell import exceptions as ex

        lost = (ConnectionError, OSError, ex.TcpTimeoutException, ex.AdbTimeoutError,
                ex.InvalidCommandError, ex.InvalidChecksumError, ex.InvalidResponseError,
                ex.AdbConnectionError)
        for attempt in (1, 2):
            try:
                if self._dev is None or not self._dev.available:
                    self.connect()
                return getattr(self._dev, method)(command, decode=False,
                                                  read_timeout_s=timeout or self.timeout)
            except AdbError as e:
                if attempt == 2:
                    raise AdbError(f"lost the device at {self.serial}; reconnecting failed: "
                                   f"{e}") from None
                self.close()
            except lost as e:
                self.close()
                if attempt == 2:
                    raise AdbError(f"lost the device at {self.serial} ({type(e).__name__}: "
                                   f"{e}) — check the device / emulator and run again") from None
        raise AssertionError("unreachable")
