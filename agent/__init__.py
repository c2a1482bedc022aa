"""The agent: the loop, trajectories, and the ``vagent`` command line."""

from .loop import Agent, run
from .trajectory import StepRecord, Trajectory

__all__ = ["Agent", "StepRecord", "Trajectory", "run"]
