"""``vagent run``: the agent on one task, its trajectory written to a run folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from vagent.cli.options import (SEED_MAX, PolicyOptions, check_out_folder, check_positive,
                                make_policy, policy_options)


def register(app: Any, eval_app: Any, sim_app: Any) -> None:
    @app.command("run")
    @policy_options(default="tiny")  # the bundled model on the simulated phone: runs on any CPU
    def run_cmd(
        task: Annotated[str, typer.Argument(help="What the agent should do.")],
        env: Annotated[str, typer.Option("--env", "-e", help="Environment (see 'vagent envs').")] = "android-sim",
        max_steps: Annotated[int, typer.Option(min=1, max=100000, help="Stop after this many steps.")] = 20,
        out: Annotated[Path | None, typer.Option(callback=check_out_folder, help="Run folder (default runs/<time>).")] = None,
        seed: Annotated[int | None, typer.Option(min=0, max=SEED_MAX, help="Seed of the env's reset.")] = None,
        time_budget: Annotated[float | None, typer.Option(callback=check_positive, help="Stop after this many seconds.")] = None,
        parse_retries: Annotated[int, typer.Option(min=0, max=10, help="Retries after a parse error.")] = 1,
        serial: Annotated[str | None, typer.Option(help="android: device HOST:PORT or USB serial.")] = None,
        xvfb: Annotated[str | None, typer.Option(help="desktop: start Xvfb with this WxH for the run.")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="desktop: record, do not act.")] = False,
        confirm: Annotated[bool, typer.Option("--confirm", help="desktop: ask before each action.")] = False,
        env_opt: Annotated[list[str] | None, typer.Option("--env-opt", help="Any other env option KEY=VALUE.")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", help="Print only the result.")] = False,
        policy_opts: PolicyOptions = PolicyOptions(),
    ) -> None:
        """Run the agent on a task and write the trajectory."""
        import datetime as dt

        from vagent import envs
        from rich.console import Console

        from vagent.actions.errors import OptionError
        from vagent.agent.loop import Agent

        console = Console(stderr=False, highlight=False)
        env_kwargs: dict[str, Any] = {}
        for key, value in (("serial", serial), ("xvfb", xvfb)):
            if value is not None:
                env_kwargs[key] = value
        if dry_run:
            env_kwargs["dry_run"] = True
        if confirm:
            env_kwargs["confirm"] = True
        for item in env_opt or []:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise typer.BadParameter(f"--env-opt takes KEY=VALUE, got {item!r}")
            env_kwargs[key.replace("-", "_")] = value
        if env not in envs.names():
            try:
                envs.registry.gym_id(env)  # a gymnasium id works too
            except envs.registry.UnknownEnv as e:
                raise typer.BadParameter(str(e), param_hint="--env") from None
        out = out or Path("runs") / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        # The env first: a missing device should fail before a model spends time loading.
        try:
            environment = envs.make(env, **env_kwargs)
        except TypeError as e:  # gymnasium passes options on as keyword arguments
            raise OptionError(f"env {env!r} does not take these options ({e}) — see "
                              "docs for its --env-opt names") from None
        try:
            policy = make_policy(policy_opts)
        except BaseException:
            environment.close()
            raise

        def show(rec: Any) -> None:
            if quiet:
                return
            what = json.dumps(rec.action, ensure_ascii=False) if rec.action else (
                ", ".join(f"{t['name']} → {t['result'][:60]}" for t in rec.tool_results) or "-")
            line = f"[bold]step {rec.step:>3}[/bold]  {what}"
            if rec.thought:
                line += f"\n          [dim]{rec.thought[:160]}[/dim]"
            if rec.error:
                line += f"\n          [red]{rec.error[:200]}[/red]"
            console.print(line)

        try:
            agent = Agent(policy, environment, out=out, max_steps=max_steps, time_budget=time_budget,
                          parse_retries=parse_retries, on_step=show, meta={"env_name": env})
            traj = agent.run(task, seed=seed)
        finally:
            environment.close()
            policy.close()
        res = traj.result
        verdict = {True: "[green]success[/green]", False: "[red]failure[/red]",
                   None: "[yellow]unchecked[/yellow]"}[res.get("success")]
        from vagent.cli.view import print_page

        print_page(out)  # the page first: the verdict stays the last line (make demo's)
        console.print(f"{verdict} after {res.get('steps')} steps ({res.get('reason')}) — "
                      f"trajectory in {out}/", soft_wrap=True)  # one line, however narrow
