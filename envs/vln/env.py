"""VLNEnv: follow an instruction through a navigation graph by choosing where to go next.

Each step the observation holds the current view (``screenshot``), one view per navigable
candidate with its relative direction, the instruction, the path so far and a map of the places
visited and seen. The action is ``go {viewpoint}`` to a candidate or ``stop`` (REVERIE: ``stop
{object_id}`` naming the target among the objects seen here). The action space is rebuilt every
step so that it holds exactly the current candidates: validation rejects a viewpoint that is not
one, and sampling it (the random baseline) always draws a legal move.

``views=False`` runs without rendered views (``screenshot`` and the candidates' ``image`` are
None): for policies that show a model nothing (oracle, replay, random), so they run on the
graphs and annotations alone.
"""

from __future__ import annotations

import functools
import math
import random
import tempfile
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import create_model

from vagent.actions import Action, ActionSpace

from ..base import Env, observation_space
from .data import Episode, SceneData
from .graph import VLNDataError, relative_direction
from .images import view_index


class Go(Action):
    """Move to one of the navigable candidate viewpoints."""

    action: Literal["go"] = "go"
    viewpoint: str


class Stop(Action):
    """Stop here: the destination is reached (REVERIE: and name the target object)."""

    action: Literal["stop"] = "stop"
    object_id: str | None = None


@functools.lru_cache(maxsize=4096)
def _choice(base: type[Action], field: str, values: tuple[str, ...] | None,
            required: bool) -> type[Action]:
    """A subclass of ``base`` whose ``field`` accepts only ``values`` (None: only None).
    Cached: building a pydantic model costs ~2 ms, and a viewpoint's choices are the same at
    every visit (the classes are never changed, so episodes and threads share them)."""
    allowed: Any = Literal[values] if values is not None else Literal[None]  # type: ignore[valid-type]
    spec = ((allowed, ...) if required else
            (Optional[allowed] if values is not None else allowed, None))  # noqa: UP007
    model = create_model(base.__name__, __base__=base, __doc__=base.__doc__,
                         **{field: spec})  # type: ignore[call-overload]
    model.model_rebuild()  # complete it now, once, not on its first validation
    return model


class VLNEnv(Env):
    """Navigation over a VLN data folder (default: a synthetic set generated on first use)."""

    def __init__(self, data: str | Path | SceneData | None = None, dataset: str = "r2r",
                 split: str | None = None, episodes: list[Episode] | None = None,
                 images: str | Path | None = None, max_steps: int | str = 15,
                 views: bool = True, render_mode: str | None = "rgb_array"):
        from vagent.envs.vln.datasets import load_split

        self.render_mode = render_mode
        if data is None:
            from .synthetic import generate

            data = Path(tempfile.gettempdir()) / "vagent-vln-synthetic"
            generate(data)
            split = split or "synthetic"
        self.data = data if isinstance(data, SceneData) else SceneData(data, images=images)
        self.dataset = dataset
        self.episodes = episodes if episodes is not None else load_split(
            self.data.root, dataset, split or "val_unseen")
        self.max_steps = int(max_steps)
        self.views = views
        from .protocol import MapProtocol

        self.protocol = MapProtocol(reverie=dataset == "reverie", images=views)
        # The view size is the data's (unknown until a view is read): the space says "an image".
        self.observation_space = observation_space(None, None)
        self.action_space = ActionSpace("vln", [Go, Stop])
        self.episode: Episode | None = None

    # -- gymnasium API --------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = options or {}
        ep = options.get("episode")
        if ep is None:
            if not self.episodes:
                raise VLNDataError("no episodes to run — give an episode or a data folder")
            ep = self.episodes[random.Random(seed).randrange(len(self.episodes))]
        self.episode = ep if isinstance(ep, Episode) else Episode.model_validate(ep)
        self.graph = self.data.graph(self.episode.scan)
        for vp in self.episode.path:
            self.graph.require(vp)
        if self.views:
            self.data.images.require({self.episode.scan: sorted(self.graph.graph.nodes)})
        self.destination = self._destination(self.episode)
        self.viewpoint = self.episode.start
        self.heading = self.episode.heading
        self.path = [self.viewpoint]
        self.places: list[str] = [self.viewpoint]  # MapGPT's place numbers: order first seen
        self.links: dict[str, list[str]] = {}
        self.history: list[str] = []
        self.stopped = False
        self.predicted_object: str | None = None
        self.steps = 0
        obs = self._observe()
        return obs, {"episode": self.episode.id, "scan": self.episode.scan}

    def step(self, action: Action | dict[str, Any] | str):
        if self.episode is None:
            raise VLNDataError("call reset() before step()")
        act = self.coerce(action)
        self.steps += 1
        if isinstance(act, Stop):
            self.stopped = True
            self.predicted_object = act.object_id
            self.history.append("stop")
        else:
            target = act.viewpoint  # validated against this step's candidates
            direction = self._candidates_by_vp()[target]["direction"]
            self.heading = self.graph.direction(self.viewpoint, target)[0]
            self.viewpoint = target
            self.path.append(target)
            self.history.append(f"{direction} to Place {self.places.index(target)}")
        truncated = not self.stopped and self.steps >= self.max_steps
        obs = self._observe()
        info: dict[str, Any] = {"viewpoint": self.viewpoint, "path": list(self.path)}
        reward = 0.0
        if (self.stopped or truncated) and not self.episode.prediction_only:
            from vagent.envs.vln.metrics import score

            metrics = score(self.episode, self.path, self.data, self.predicted_object)
            assert metrics is not None
            info["metrics"] = metrics
            info["success"] = bool(metrics["success"])
            reward = float(metrics["success"])
        return obs, reward, self.stopped, truncated, info

    def _destination(self, ep: Episode) -> str | None:
        """Where the oracle stops: R2R's goal; for REVERIE the end of the reference path if the
        target is seen from it, else the viewpoint seeing it nearest that end (None: test)."""
        if ep.prediction_only:
            return None
        if ep.dataset != "reverie" or ep.object_id is None:
            return ep.goal
        goals = self.data.viewpoints_seeing(ep.scan, ep.object_id)
        if ep.goal in goals or not goals:
            return ep.goal
        return min(sorted(goals), key=lambda vp: self.graph.distance(ep.goal, vp))

    def oracle_action(self) -> Action | None:
        """The next viewpoint on the shortest path to the goal, then stop (naming the target).

        None for a prediction-only (test) episode: it has no goal to plan to.
        """
        if self.episode is None or self.destination is None:
            return None
        goal = self.destination
        if self.viewpoint == goal:
            target = self.episode.object_id
            seen = self.data.objects_at(self.episode.scan, self.viewpoint)
            return Stop(object_id=target if target in seen else None)
        return Go(viewpoint=self.graph.shortest_path(self.viewpoint, goal)[1])

    # -- observation ----------------------------------------------------------------------------
    def _candidates_by_vp(self) -> dict[str, dict[str, Any]]:
        return {c["viewpoint"]: c for c in self._candidates}

    def _observe(self) -> dict[str, Any]:
        ep = self.episode
        assert ep is not None
        store = self.data.images
        cands = []
        for vp in self.graph.neighbours(self.viewpoint):
            heading, elevation = self.graph.direction(self.viewpoint, vp)
            if vp not in self.places:
                self.places.append(vp)
            cands.append({
                "viewpoint": vp, "place": self.places.index(vp),
                "direction": relative_direction(heading - self.heading, elevation),
                "heading": round(heading, 4), "elevation": round(elevation, 4),
                "distance": round(self.graph.edge_length(self.viewpoint, vp), 3),
                # MapGPT's candidate image: the view from here that holds the candidate
                "image": (store.load(ep.scan, self.viewpoint, view_index(heading, elevation))
                          if self.views else None),
            })
        self.links.setdefault(self.viewpoint, [c["viewpoint"] for c in cands])
        self._candidates = cands
        objects = self.data.objects_at(ep.scan, self.viewpoint) if ep.dataset == "reverie" else {}
        self._rebuild_space(cands, objects)
        current = (store.load(ep.scan, self.viewpoint, view_index(self.heading))
                   if self.views else None)
        obs = {
            "screenshot": current,
            "instruction": ep.instruction,
            "viewpoint": self.viewpoint,
            "place": self.places.index(self.viewpoint),
            "heading": round(self.heading % (2 * math.pi), 4),
            "candidates": cands,
            "objects": objects,
            "path": list(self.path),
            "trajectory": [self.places.index(v) for v in self.path],
            "map": {self.places.index(v): [self.places.index(n) for n in ns]
                    for v, ns in self.links.items()},
            "places": list(self.places),
            "history": list(self.history),
            "step": self.steps,
        }
        obs["text"] = self._text(obs)
        self._last_obs = obs
        return obs

    def _rebuild_space(self, cands: list[dict[str, Any]], objects: dict[str, str]) -> None:
        members: list[type[Action]] = []
        if cands:
            members.append(_choice(Go, "viewpoint", tuple(c["viewpoint"] for c in cands), True))
        members.append(_choice(Stop, "object_id", tuple(sorted(objects)) or None, False))
        self.action_space = ActionSpace("vln", members)

    @staticmethod
    def _text(obs: dict[str, Any]) -> str:
        lines = [f"Instruction: {obs['instruction']}",
                 f"You are at Place {obs['place']} (step {obs['step']}); path so far: Place "
                 + " ".join(str(p) for p in obs["trajectory"])]
        for c in obs["candidates"]:
            lines.append(f"- {c['direction']} to Place {c['place']} ({c['distance']:.1f} m, "
                         f"viewpoint {c['viewpoint']})")
        for oid, name in sorted(obs["objects"].items()):
            lines.append(f"- object {oid}: {name} (visible here)")
        return "\n".join(lines)
