"""ALFRED household tasks with high-level actions on AI2-THOR (``thor``) or the project's
symbolic household (``symbolic``). ``envs.make("alfred", backend=...)``."""

from .actions import ACTIONS
from .env import AlfredEnv
from .generate import generated_env
from .tasks import TASK_TYPES, AlfredTask, load_split, load_task

__all__ = ["ACTIONS", "TASK_TYPES", "AlfredEnv", "AlfredTask", "generated_env", "load_split",
           "load_task"]
