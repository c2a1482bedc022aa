"""Object types of the household: which THOR capabilities each has, and how the model names them.

The capability flags are THOR's metadata fields (pickupable, receptacle, openable, ...). Names
are what the model reads and writes: the type in lower case ("countertop", "sinkbasin") and a
number per type ("countertop 2"); a slice is "apple slice 3".
"""

from __future__ import annotations

import re

# type → capabilities (THOR metadata flags). Only the types the generated scenes use and the
# ones ALFRED's seven task types name; unknown types (from a real THOR scene) get no flags and
# the backend reads their flags from THOR's metadata instead.
_P, _R, _O, _T, _S, _C, _D = ("pickupable", "receptacle", "openable", "toggleable", "sliceable",
                              "cookable", "dirtyable")
TYPES: dict[str, frozenset[str]] = {
    # fixed receptacles
    "CounterTop": frozenset({_R}), "DiningTable": frozenset({_R}), "Shelf": frozenset({_R}),
    "Desk": frozenset({_R}), "SideTable": frozenset({_R}), "GarbageCan": frozenset({_R}),
    "SinkBasin": frozenset({_R}), "Cabinet": frozenset({_R, _O}), "Drawer": frozenset({_R, _O}),
    "Fridge": frozenset({_R, _O}), "Microwave": frozenset({_R, _O, _T}),
    # fixed, toggleable
    "Faucet": frozenset({_T}), "DeskLamp": frozenset({_T}), "FloorLamp": frozenset({_T}),
    # food
    "Apple": frozenset({_P, _S, _C}), "Tomato": frozenset({_P, _S, _C}),
    "Potato": frozenset({_P, _S, _C}), "Bread": frozenset({_P, _S, _C}),
    "Lettuce": frozenset({_P, _S, _C}), "Egg": frozenset({_P, _C}),
    # movable receptacles (dishes)
    "Bowl": frozenset({_P, _R, _D}), "Plate": frozenset({_P, _R, _D}),
    "Mug": frozenset({_P, _R, _D}), "Cup": frozenset({_P, _R, _D}), "Pan": frozenset({_P, _R, _D}),
    # small things
    "Knife": frozenset({_P}), "ButterKnife": frozenset({_P}), "Fork": frozenset({_P, _D}),
    "Spoon": frozenset({_P, _D}), "DishSponge": frozenset({_P}), "Book": frozenset({_P}),
    "CellPhone": frozenset({_P}), "KeyChain": frozenset({_P}), "Pencil": frozenset({_P}),
    "CreditCard": frozenset({_P}), "Vase": frozenset({_P}),
}
FLAGS = (_P, _R, _O, _T, _S, _C, _D)
KNIVES = ("Knife", "ButterKnife")
SLICES_PER_OBJECT = 3  # THOR makes 7–10 slices; three keep the view readable


def flags(object_type: str) -> frozenset[str]:
    base = object_type[:-len("Sliced")] if object_type.endswith("Sliced") else object_type
    if object_type.endswith("Sliced"):
        return (TYPES.get(base, frozenset()) - {_S}) | {_P}
    return TYPES.get(base, frozenset())


def type_label(object_type: str) -> str:
    """What the model calls a type: "CounterTop" → "countertop", "AppleSliced" → "apple slice"."""
    if object_type.endswith("Sliced"):
        return object_type[:-len("Sliced")].lower() + " slice"
    return object_type.lower()


def squash(text: str) -> str:
    """A name compared loosely: case, spaces, underscores and quotes ignored."""
    return re.sub(r"[\s_\-\"'`]+", "", text.lower())


def object_id(object_type: str, x: float, y: float, z: float) -> str:
    """THOR's id form: Type|+x.xx|+y.yy|+z.zz."""
    return f"{object_type}|{x:+06.2f}|{y:+06.2f}|{z:+06.2f}"
