"""The ``vagent`` command line.

Startup is what the light commands pay, so nothing heavy is imported before it is needed:
torch and transformers only in the commands that load a model, and the command modules
themselves (with pydantic and the policy options) only when one of their commands is run or
its own ``--help`` is asked for. Listing the commands (``vagent --help``) reads the table
``LAZY`` below. Errors a user can meet print one line and exit 1; usage errors exit 2.
"""


import importlib
from typing import Annotated, Any, ClassVar

import typer
from typer.core import TyperGroup

from vagent.cli.process import long_run, version

# The commands whose modules load on first use: group ("" is the top level) → command →
# (module under vagent.cli, its one-line help as listed). tests/test_startup.py checks this
# table against the commands the modules build. A module's ``register(app, eval_app, sim_app)``
# adds its commands to the three groups.
LAZY: dict[str, dict[str, tuple[str, str]]] = {
    "": {
        "run": ("run", "Run the agent on a task and write the trajectory."),
        "view": ("view", "Write DIR/index.html: a run's steps with the actions drawn, or an "
                         "evaluation's results."),
        "data": ("data", "Training data from trajectories."),
        "train": ("train", "Train Qwen2-VL-family checkpoints."),
    },
    "eval": {
        "vln": ("vln", "Vision-and-language navigation (R2R: TL NE SR OSR SPL; REVERIE: + RGS "
                       "RGSPL)."),
        "fncall": ("fncall", "Function calling from images: type match and exact match of the "
                             "first tool call."),
        "cards": ("cards", "RL4VLM card games: success rate (summed reward > 0) per game, with "
                           "a 95% CI."),
        "aitz": ("aitz", "AITZ step-level evaluation: CoAT type/exact match, success rate, goal "
                         "progress, and AITW matching."),
        "alfred": ("alfred", "ALFRED: success rate, goal conditions and their "
                             "path-length-weighted forms."),
        "phone-sim": ("phone_sim", "Success rate on the simulated phone's held-out tasks."),
        "merge": ("merge", "Combine the results folders of --shard i/n runs into one summary."),
    },
    "sim": {
        "phone": ("sim", "Serve the simulated phone over the ADB wire protocol until Ctrl-C."),
    },
}


def load_command(group: str, name: str) -> Any:
    """The click command ``name`` of ``group`` as its module builds it (the typer apps its
    ``register`` fills are throwaway: only the one command is kept)."""
    long_run()  # the long runs (evaluations, training) collect as usual: see cli/main.py
    module = importlib.import_module(f"vagent.cli.{LAZY[group][name][0]}")
    apps = {g: typer.Typer(rich_markup_mode=None) for g in LAZY}
    module.register(apps[""], apps["eval"], apps["sim"])
    return typer.main.get_group(apps[group]).commands[name]


class LazyGroup(TyperGroup):
    """A typer group whose commands listed in ``LAZY[group]`` are built on first use."""

    group: ClassVar[str] = ""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in LAZY[self.group]
                                               if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in LAZY[self.group]:
            self.commands[cmd_name] = load_command(self.group, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The commands and their one-line help, from the table for those not yet built."""
        from typer._click.utils import make_default_short_help

        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names))
        rows = []
        for name in names:
            cmd = self.commands.get(name)
            if cmd is None:
                rows.append((name, make_default_short_help(LAZY[self.group][name][1], limit)))
            elif not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


class _EvalGroup(LazyGroup):
    group = "eval"


class _SimGroup(LazyGroup):
    group = "sim"


app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  cls=LazyGroup, help="vagent — visual agents driven by Qwen2-VL-family models.")
eval_app = typer.Typer(no_args_is_help=True, cls=_EvalGroup,
                       help="Evaluate a policy on a benchmark.")
sim_app = typer.Typer(no_args_is_help=True, cls=_SimGroup,
                      help="Simulated devices (for machines without one).")
app.add_typer(eval_app, name="eval")
app.add_typer(sim_app, name="sim")


def _version_cb(value: bool) -> None:
    if value:
        print(f"vagent {version()}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version_cb,
                                                is_eager=True, help="Print the version.")] = False
          ) -> None:
    pass


@app.command("envs")
def envs_cmd() -> None:
    """List the environments."""
    from vagent import envs

    for name in envs.names():
        print(f"{name:16} {envs.description(name)}")


@app.command("policies")
def policies_cmd() -> None:
    """List the policies."""
    from vagent.policies import registry

    for name in registry.names():
        print(f"{name:16} {registry.describe(name)}")


@app.command("parse")
def parse_cmd(
    text: Annotated[str, typer.Argument(help="The model's output ('-' reads standard input).")],
    format: Annotated[str, typer.Option(
        "--format", "-f", help="A policy's prompt format (qwen2vl, qwen25vl, uitars, uitars15, "
        "vagent-tiny: its parser and frame), a parser (json, openai), or auto.")] = "auto",
    screen: Annotated[str, typer.Option(help="Screen size WxH in pixels.")] = "1080x2400",
    min_pixels: Annotated[int | None, typer.Option(
        help="Processor min_pixels for resized-image coordinates (default 4·28², as the "
             "policies).")] = None,
    max_pixels: Annotated[int | None, typer.Option(
        help="Processor max_pixels for resized-image coordinates (default 16384·28², the "
             "released processors' and so --policy qwen-vl's; --policy openai sends 1280·28² = "
             "1003520 unless told otherwise).")] = None,
    frame: Annotated[str | None, typer.Option(
        help="Override the format's coordinate frame: pixels, rel1000, resized, unit.")] = None,
    space: Annotated[str, typer.Option(
        help="The action space the calls must belong to: gui (every GUI action), mobile or "
             "desktop.")] = "gui",
    tool: Annotated[list[str] | None, typer.Option(
        "--tool", help="A tool name the model may call besides the space's actions "
                       "(repeatable); its calls are printed as parsed.")] = None,
    lenient: Annotated[bool, typer.Option(
        "--lenient", help="Print calls outside the space (or with bad fields) as parsed "
                          "instead of failing.")] = False,
) -> None:
    """Parse a model's output into actions in screen pixels (printed as a JSON array).

    Every call must be an action of --space with valid fields (as the agent loop requires),
    else one line and exit 1; --lenient prints such calls as parsed."""
    from vagent.cli.parse import Refused, check, parse_and_print, without_pydantic_plugins

    with without_pydantic_plugins():
        try:
            settings = check(format, screen, min_pixels, max_pixels, frame, space, tool, lenient)
        except Refused as e:
            raise typer.BadParameter(str(e), param_hint=e.hint) from None
        parse_and_print(text, settings)


__all__ = ["LAZY", "app", "load_command"]
