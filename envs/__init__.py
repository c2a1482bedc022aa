"""Environments (gymnasium.Env) that the agent drives. ``envs.make(name)`` creates one."""

from .base import Env, EnvError, observation_space
from .registry import UnknownEnv, description, gym_id, make, names, register, register_all, spec

register_all()  # each entry point is imported only when its env is made

__all__ = ["Env", "EnvError", "UnknownEnv", "description", "gym_id", "make", "names",
           "observation_space", "register", "register_all", "spec"]
