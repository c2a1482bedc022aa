"""Vision-and-language navigation (R2R, REVERIE) over Matterport-style navigation graphs."""

from .data import Episode, SceneData
from .env import Go, Stop, VLNEnv
from .graph import NavGraph, VLNDataError, load_connectivity, relative_direction
from .images import ImagesMissing, ImageStore, view_index

__all__ = ["Episode", "Go", "ImageStore", "ImagesMissing", "NavGraph", "SceneData", "Stop",
           "VLNDataError", "VLNEnv", "load_connectivity", "relative_direction", "view_index"]
