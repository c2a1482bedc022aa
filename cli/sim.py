"""``vagent sim phone``: serve the simulated phone (a simulator, not Android) on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vagent.cli.options import SEED_MAX


def register(app: typer.Typer, eval_app: typer.Typer, sim_app: typer.Typer) -> None:
    @sim_app.command("phone")
    def sim_phone(
        port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port on 127.0.0.1 (0 picks a free one).")] = 5555,
        state_file: Annotated[Path | None, typer.Option(help="Keep the phone's state in this JSON file.")] = None,
        log: Annotated[Path | None, typer.Option(help="Append one JSON line per shell command.")] = None,
        auth: Annotated[bool, typer.Option("--auth", help="Require RSA key auth (new keys are accepted unless --authorized-keys is given).")] = False,
        authorized_keys: Annotated[Path | None, typer.Option(help="adbkey.pub lines: the only host keys to accept (implies --auth).")] = None,
        task: Annotated[str | None, typer.Option(help="Start from this task's start state (see README).")] = None,
        seed: Annotated[int | None, typer.Option(min=0, max=SEED_MAX, help="With --task: a randomised start state.")] = None,
    ) -> None:
        """Serve the simulated phone over the ADB wire protocol until Ctrl-C."""
        from vagent.actions.errors import VagentError

        from vagent.envs.android.sim.commands import Device
        from vagent.envs.android.sim.phone import PhoneState
        from vagent.envs.android.sim.server import PhoneServer

        state = None
        if task:
            from vagent.envs.android import tasks

            inst = tasks.resolve(task, seed=seed)
            if inst is None:
                raise VagentError(f"no simulated-phone task matches {task!r} — see README "
                                  "'Android' for the task list")
            state = PhoneState.model_validate(inst.start)
        keys = None
        if authorized_keys is not None:
            from vagent.actions import files

            keys = [ln for ln in files.read_text(authorized_keys, "authorized keys file"
                                                 ).splitlines() if ln.strip()]
            if not keys:
                raise VagentError(f"{authorized_keys} holds no keys — give adbkey.pub lines")
            from vagent.envs.android.sim.protocol import ProtocolError, decode_android_pubkey

            for n, key in enumerate(keys, 1):
                try:
                    decode_android_pubkey(key)
                except ProtocolError as e:
                    raise VagentError(f"{authorized_keys}:{n}: {e} — give adbkey.pub lines"
                                      ) from None
        device = Device(state, state_file=state_file, log=log)  # says why a path cannot be written
        try:
            server = PhoneServer(port=port, device=device,
                                 require_auth=auth or keys is not None, authorized_keys=keys,
                                 accept_new_keys=keys is None, verbose=True)
        except OSError as e:
            raise VagentError(f"cannot listen on 127.0.0.1:{port} ({e.strerror}) — pick "
                              "another --port") from None
        print(f"simulated phone (a simulator, not Android) on {server.serial}: "
              f"adb connect {server.serial} — or vagent run TASK --env android "
              f"--serial {server.serial}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
