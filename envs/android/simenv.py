"""``android-sim``: AndroidEnv connected over TCP to a simulated phone started in-process.

The simulated phone (``sim.server.PhoneServer``) is a SIMULATOR that speaks the real ADB wire
protocol; the env talks to it with adb-shell exactly as to an emulator, so the device code path
is the one real phones use (only its state, which real phones lack, is read in process).
Options: ``port`` (0 = any free port), ``state_file``, ``log``, ``auth`` (require RSA key
auth), and every AndroidEnv option.

``served_phone(serial)`` reaches a simulated phone served by another process or machine
(``vagent sim phone``) instead: one per worker with ``--serial a,b,c``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from vagent.actions.errors import VagentError

from .adb import parse_serial
from .env import AndroidEnv
from .sim.server import PhoneServer


class SimulatedPhoneEnv(AndroidEnv):
    def __init__(self, port: int | str = 0, state_file: str | None = None, log: str | None = None,
                 auth: bool | str = False, settle: float | str = 0.0, screencap: str = "png",
                 **kwargs: Any):
        require = str(auth).lower() in ("1", "true", "yes")
        self.server = PhoneServer(port=int(port), state_file=state_file, log=log,
                                  require_auth=require).start()
        try:
            super().__init__(serial=self.server.serial, settle=settle, screencap=screencap,
                             **kwargs)
        except BaseException:
            self.server.stop()
            raise

    def sim_state(self) -> dict[str, Any] | None:
        """The state read in this process, where the phone runs, not over ADB (``vagent-sim
        state``: ~0.8 ms a step): it is the simulator's, which no real phone has, so the path
        it skips is not one real phones take."""
        device = self.server.device
        with device.lock:
            return device.phone.snapshot()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.server.stop()


class NotASimulatedPhone(VagentError, RuntimeError):
    """A device given where a simulated phone's state is needed (a runtime fact: exit 1)."""


@dataclass(frozen=True)
class ServedPhone:
    """The env factory of one worker's device (``--serial a,b,c``): ``served_phone(serial)``.
    Picklable, so a Ray actor builds it where it runs (``agent/pool.py``)."""

    serial: str

    def __call__(self) -> AndroidEnv:
        return served_phone(self.serial)

    @property
    def on_this_machine(self) -> bool:
        """Whether only this machine reaches the device: a serial without a port (a USB
        device, an emulator's ``emulator-5554``) or on the loopback interface (``127.0.0.1``,
        ``localhost``, ``[::1]``). On a Ray cluster its actor must run on this machine's node."""
        target = parse_serial(self.serial)
        if target is None:  # a USB serial or an emulator's name
            return True
        host = target[0].strip("[]")
        if host.lower() == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:  # a host name: whichever machine resolves it reaches it
            return False


def served_phone(serial: str) -> AndroidEnv:
    """AndroidEnv on the simulated phone served at ``serial`` (HOST:PORT), set up as
    ``android-sim`` sets up its own (no settle time, PNG screencaps). The simulated phone's tasks
    are set up and checked over its state, so any other device is refused in one line."""
    env = AndroidEnv(serial=serial, settle=0.0, screencap="png")
    if not env.simulated:
        env.close()
        raise NotASimulatedPhone(f"{serial} is not a simulated phone: its tasks are set up and "
                                 "checked only on 'vagent sim phone' devices — serve one there, "
                                 "or run 'vagent run' on a real phone")
    return env
