"""Generate the small synthetic AITZ-format dataset beside this script (committed; not real AITZ).

Run from the repository root:  python tests/data/aitz/generate.py

Layout and fields follow AITZ: ``{subset}/{PREFIX}-{episode_id}/{PREFIX}-{episode_id}.json`` (a
list of steps whose ui_positions / ui_text / ui_types / result_touch_yx / result_lift_yx are JSON
strings) and ``..._{step}.png`` beside it. Screens are drawn with Pillow: 270×600 like AITZ's
stored screenshots, each UI element a labelled box at its ui_positions.

The episodes cover every action type: taps inside a UI box (at, near and away from the screen
centre), a tap on no UI box, swipes in all four finger directions, ASCII and non-ASCII typing,
back / home / enter, and both stop statuses. tests/test_aitz_runner.py hand-computes what a
policy that always taps the centre scores on them; change them and that test changes too.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from vagent.envs.draw import font  # noqa: E402

W, H = 270, 600
NAV = [("", "ICON_V_BACKWARD", 574, 51, 15, 8), ("", "ICON_NAV_BAR_RECT", 574, 130, 16, 8),
       ("", "ICON_NAV_BAR_CIRCLE", 574, 207, 16, 8)]
STATUS = [("9:35", "TEXT", 4, 10, 12, 30)]

# An element: (text, ui_type, top, left, height, width) in pixels.
HOME = [("Play Store", "TEXT", 390, 20, 20, 70), ("Photos", "TEXT", 390, 100, 20, 60),
        ("Chrome", "TEXT", 390, 180, 20, 70), ("Search", "ICON_MAGNIFYING_GLASS", 520, 30, 30, 210)]
DRAWER = [("Calendar", "TEXT", 200, 20, 30, 70), ("Camera", "TEXT", 200, 180, 30, 70),
          ("Settings", "TEXT", 280, 105, 40, 60), ("Clock", "TEXT", 360, 20, 30, 70)]
SETTINGS = [("Settings", "TEXT", 40, 20, 30, 120), ("Network", "TEXT", 120, 20, 30, 200),
            ("Display", "TEXT", 170, 20, 30, 200)]
BROWSER = [("Search or type URL", "TEXT", 60, 20, 30, 230), ("News", "TEXT", 200, 20, 60, 230)]
RESULTS = [("café près de moi", "TEXT", 60, 20, 30, 230), ("Café Zoo", "TEXT", 150, 20, 40, 230),
           ("Le Petit Café", "TEXT", 210, 20, 40, 230)]
STORE = [("Zoo Keeper", "TEXT", 120, 20, 30, 200), ("Install", "TEXT", 285, 85, 30, 100),
         ("About this app", "TEXT", 420, 20, 30, 200)]
NOT_FOUND = [("No results", "TEXT", 120, 20, 30, 200), ("Try again", "TEXT", 440, 60, 30, 150)]
SHOP = [("Fruit", "TEXT", 60, 20, 30, 120), ("Apples", "TEXT", 270, 30, 60, 210),
        ("Pears", "TEXT", 360, 30, 60, 210)]
APPLES = [("Apples", "TEXT", 40, 20, 30, 120), ("Add to cart", "TEXT", 100, 60, 40, 150),
          ("Qty", "TEXT", 480, 30, 30, 100)]
CART = [("Cart: 2 🍎", "TEXT", 40, 20, 30, 200)]

NONE = [-1.0, -1.0]
# (subset, prefix, episode_id, instruction, [(screen, action_type, text, touch, lift, desc)])
EPISODES = [
    ("general", "GENERAL", "1000000001", "open the Settings app", [
        (HOME, 6, "", NONE, NONE, "press the home button"),
        (HOME, 4, "", [0.8, 0.5], [0.2, 0.5], "scroll up"),
        (DRAWER, 4, "", [0.5, 0.5], [0.5, 0.5], "click on the Settings app"),
        (SETTINGS, 10, "", NONE, NONE, "stop and set the query as completed"),
    ]),
    ("general", "GENERAL", "1000000002", "search for café près de moi", [
        (BROWSER, 4, "", [0.125, 0.5], [0.126, 0.5], "click on the search bar"),
        (BROWSER, 3, "café près de moi", NONE, NONE, 'input text "café près de moi"'),
        (RESULTS, 7, "", NONE, NONE, "press enter"),
        (RESULTS, 10, "", NONE, NONE, "stop and set the query as completed"),
    ]),
    ("install", "INSTALL", "2000000001", "install Zoo Keeper", [
        (STORE, 4, "", [0.51, 0.52], [0.51, 0.52], "click on the Install button"),
        (STORE, 4, "", [0.3, 0.5], [0.7, 0.52], "scroll down"),
        (STORE, 4, "", [0.5, 0.8], [0.5, 0.2], "scroll left"),
        (STORE, 10, "", NONE, NONE, "stop and set the query as completed"),
    ]),
    ("install", "INSTALL", "2000000002", "install Zookeeper Pro Ultra", [
        (SETTINGS, 5, "", NONE, NONE, "press the back button"),
        (NOT_FOUND, 4, "", [0.56, 0.45], [0.56, 0.45], "click on the empty area"),
        (NOT_FOUND, 11, "", NONE, NONE, "stop and set the query as impossible"),
    ]),
    ("web_shopping", "WEB_SHOPPING", "3000000001", "add 2 apples to the cart", [
        (SHOP, 4, "", [0.47, 0.3], [0.47, 0.3], "click on Apples"),
        (APPLES, 4, "", [0.5, 0.2], [0.52, 0.8], "scroll right"),
        (APPLES, 4, "", [0.825, 0.3], [0.825, 0.3], "click on the quantity field"),
        (APPLES, 3, "2 🍎", NONE, NONE, 'input text "2 🍎"'),
        (APPLES, 4, "", [0.2, 0.5], [0.2, 0.5], "click on Add to cart"),
        (CART, 10, "", NONE, NONE, "stop and set the query as completed"),
    ]),
]


def draw(elements: list[tuple[str, str, int, int, int, int]]) -> Image.Image:
    im = Image.new("RGB", (W, H), (250, 250, 250))
    d = ImageDraw.Draw(im)
    d.rectangle((0, 0, W, 20), fill=(60, 60, 60))
    d.rectangle((0, 566, W, H), fill=(30, 30, 30))
    for text, kind, top, left, h, w in elements:
        fill = (214, 228, 250) if kind == "TEXT" else (200, 200, 200)
        d.rounded_rectangle((left, top, left + w, top + h), radius=4, fill=fill)
        if text:
            d.text((left + 4, top + h / 2), text, fill=(20, 20, 20), font=font(11), anchor="lm")
    return im.quantize(colors=16)  # small PNGs: the dataset stays a few tens of KB


def main(root: Path = HERE) -> None:
    for subset in {e[0] for e in EPISODES}:
        shutil.rmtree(root / subset, ignore_errors=True)
    for subset, prefix, eid, instruction, steps in EPISODES:
        name = f"{prefix}-{eid}"
        folder = root / subset / name
        folder.mkdir(parents=True)
        records = []
        for i, (screen, code, text, touch, lift, desc) in enumerate(steps):
            elements = STATUS + screen + NAV
            draw(elements).save(folder / f"{name}_{i}.png", optimize=True)
            records.append({
                "episode_id": eid, "episode_length": len(steps), "step_id": i,
                "instruction": instruction,
                "ui_positions": json.dumps([[t, l, h, w] for _, _, t, l, h, w in elements]),
                "ui_text": json.dumps([e[0] for e in elements], ensure_ascii=False),
                "ui_types": json.dumps([e[1] for e in elements]),
                "result_action_type": code, "result_action_text": text,
                "result_touch_yx": json.dumps(touch), "result_lift_yx": json.dumps(lift),
                "image_path": f"{subset}/{name}/{name}_{i}.png",
                "image_full_path": f"android-in-the-zoo/test/{subset}/{name}/{name}_{i}.png",
                "coat_screen_desc": "A synthetic screen drawn for the vagent tests.",
                "coat_action_think": f"To {instruction}, the next step is to {desc}.",
                "coat_action_desc": desc,
                "coat_action_result": "The screen changes accordingly.",
            })
        (folder / f"{name}.json").write_text(
            json.dumps(records, indent=4, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
