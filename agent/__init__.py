"""The agent: the loop, the one decision step, trajectories."""

from .loop import Agent, run
from .step import StepOutcome, decide
from .trajectory import StepRecord, Trajectory

__all__ = ["Agent", "StepOutcome", "StepRecord", "Trajectory", "decide", "run"]
