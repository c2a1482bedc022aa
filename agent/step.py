"""The one decision step: ask the policy, validate its calls, map them onto the screen.

Every place that lets a policy act — the Agent loop, the AITZ and card-game runners — goes
through ``decide``, so a step means the same everywhere: a parse or validation failure (the
model's own mistake) goes back to the policy as ``Context.feedback`` for up to ``retries`` more
attempts; a failed model request (``Decision.request_failed``: the server gave up after its own
retries) is not asked again; any other exception propagates.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vagent.actions import Action, ActionError, ParseError, to_screen
from vagent.actions.context import Context, Decision
from vagent.actions.coords import Mapped
from vagent.policies.base import Policy

NO_ACTION = "the model wrote no action"


class StepOutcome(BaseModel):
    """What one step decided, checked against the action space and mapped onto the screen."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    decision: Decision
    #: every call validated, in order; a tool call whose arguments do not validate stays here
    #: as its ActionError (it becomes that tool's result, as a failing tool would)
    actions: list[Action | ActionError] = Field(default_factory=list)
    #: the env actions (not tools) in screen pixels, in order; only the first is executed
    env_actions: list[Mapped] = Field(default_factory=list)
    error: str | None = None  # the step's error once the attempts are spent (None: usable)
    attempts: int = 1

    @property
    def action(self) -> Mapped | None:
        """The env action to execute, or None."""
        return self.env_actions[0] if self.env_actions else None


def decide(policy: Policy, context: Context, retries: int = 0, *,
           decision: Decision | None = None) -> StepOutcome:
    """Ask ``policy`` for a step, feeding a parse/validation error back up to ``retries`` times.

    ``decision`` is the first attempt's answer when the caller already asked (a batched call).
    A decision without any call (and not ``done``) is the step's error, not retried.
    """
    attempts = 0
    while True:
        attempts += 1
        if decision is None:
            try:
                decision = policy.act(context)
            except (ActionError, ParseError) as e:  # a policy may raise a ParseError itself
                decision = Decision(error=str(e))
        outcome = check(decision, context)
        outcome.attempts = attempts
        if (outcome.error is None or decision.done or decision.request_failed
                or attempts > retries):
            if (outcome.error is None and not decision.calls and not decision.done):
                outcome.error = NO_ACTION
            return outcome
        context = context.model_copy(update={"feedback": outcome.error})
        decision = None


def check(decision: Decision, context: Context) -> StepOutcome:
    """Validate a decision's calls against ``context.space`` and map env actions to the screen."""
    if decision.error is not None:
        return StepOutcome(decision=decision, error=decision.error)
    space = context.space
    try:
        actions = [_validate(space, call) for call in decision.calls]
        mapped = [_to_screen(a, decision, context.screen) for a in actions
                  if isinstance(a, Action) and not space.is_tool(a)]
    except ActionError as e:
        return StepOutcome(decision=decision, error=str(e))
    return StepOutcome(decision=decision, actions=actions, env_actions=mapped)


def _validate(space: Any, call: dict[str, Any]) -> Action | ActionError:
    try:
        return space.validate(call)
    except ActionError as e:
        if space.is_tool(str(call.get("action"))):
            return e
        raise


def _to_screen(action: Action, decision: Decision, screen: tuple[int, int] | None) -> Mapped:
    if screen is None or not type(action).POINTS:
        return Mapped(action=action)
    return to_screen(action, decision.frame, *screen)


__all__ = ["NO_ACTION", "StepOutcome", "check", "decide"]
