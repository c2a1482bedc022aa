"""The project's own small function-calling set: drawn flight tickets, receipts and road signs.

Generated deterministically from a seed (nothing downloaded, nothing committed): each item is a
JSONL line ``{"id", "image", "question", "tools", "expected": {"name", "arguments"}}`` with the
image beside the file.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from vagent.actions import png
from vagent.envs.draw import font

CITIES = ["Beijing", "Shanghai", "Tokyo", "Seoul", "Singapore", "Sydney", "London", "Paris",
          "Berlin", "Madrid", "New York", "San Diego", "Chicago", "Dubai", "Toronto"]
AIRLINES = [("CA", "Air China"), ("MU", "China Eastern"), ("NH", "ANA"), ("BA", "British Airways"),
            ("LH", "Lufthansa"), ("UA", "United"), ("SQ", "Singapore Airlines")]
SHOPS = ["Corner Market", "Blue Cafe", "Harbor Books", "Green Grocer", "Night Noodles"]
GOODS = ["coffee", "bagel", "notebook", "apples", "tea", "noodles", "pen", "juice", "bread"]
TOOLS = ["get_weather", "flight_status", "convert_units", "convert_currency", "calculate"]

W, H = 560, 320


def _save(img: Image.Image, path: Path) -> None:
    """The image as a PNG with unfiltered rows (``actions.png``): an episode's reset reads it in
    one inflate, where Pillow's adaptively filtered file took ~4 ms of a one-step episode."""
    path.write_bytes(png.encode(np.asarray(img)))

WEATHER_QUESTIONS = [
    "What is the weather like at the destination of this flight?",
    "I'm flying on this ticket. How's the weather where I land?",
    "Check the current weather in the arrival city shown on the ticket.",
]
STATUS_QUESTIONS = [
    "Is this flight on time?",
    "What's the status of the flight on this boarding pass?",
    "Look up the flight shown here.",
]
CURRENCY_QUESTIONS = [
    "How much is the total of this receipt in {cur}?",
    "Convert the receipt total to {cur}.",
]
SIGN_QUESTIONS = [
    "What is this speed limit in km/h?",
    "Convert the speed limit on the sign to kilometres per hour.",
]


def _ticket(rng: random.Random, path: Path) -> dict:
    code, airline = rng.choice(AIRLINES)
    number = f"{code}{rng.randint(100, 9999)}"
    origin, dest = rng.sample(CITIES, 2)
    dep_h, dur = rng.randint(0, 23), rng.randint(1, 13)
    img = Image.new("RGB", (W, H), (250, 248, 240))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, W, 56), fill=(20, 60, 130))
    d.text((20, 14), f"{airline}  ·  BOARDING PASS", fill="white", font=font(22, bold=True))
    d.text((20, 80), "FROM", fill=(120, 120, 120), font=font(14))
    d.text((20, 100), origin, fill=(0, 0, 0), font=font(28, bold=True))
    d.text((300, 80), "TO", fill=(120, 120, 120), font=font(14))
    d.text((300, 100), dest, fill=(0, 0, 0), font=font(28, bold=True))
    d.text((20, 170), f"FLIGHT  {number}", fill=(0, 0, 0), font=font(20))
    d.text((20, 205), f"DEPARTS {dep_h:02d}:{rng.choice([0, 15, 30, 45]):02d}", fill=(0, 0, 0),
           font=font(20))
    d.text((300, 205), f"ARRIVES {(dep_h + dur) % 24:02d}:{rng.choice([5, 20, 35, 50]):02d}",
           fill=(0, 0, 0), font=font(20))
    d.text((20, 260), f"SEAT {rng.randint(1, 40)}{rng.choice('ABCDEF')}   GATE "
           f"{rng.choice('ABCD')}{rng.randint(1, 30)}", fill=(60, 60, 60), font=font(18))
    _save(img, path)
    if rng.random() < 0.6:
        return {"question": rng.choice(WEATHER_QUESTIONS),
                "expected": {"name": "get_weather", "arguments": {"city": dest}}}
    return {"question": rng.choice(STATUS_QUESTIONS),
            "expected": {"name": "flight_status", "arguments": {"flight_number": number}}}


def _receipt(rng: random.Random, path: Path) -> dict:
    items = [(g, round(rng.uniform(1, 20), 2)) for g in rng.sample(GOODS, rng.randint(2, 4))]
    total = round(sum(p for _, p in items), 2)
    img = Image.new("RGB", (W, H), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.text((W // 2, 24), rng.choice(SHOPS), fill=(0, 0, 0), font=font(24, bold=True), anchor="mm")
    y = 60
    for name, price in items:
        d.text((60, y), name, fill=(0, 0, 0), font=font(18))
        d.text((W - 60, y), f"${price:.2f}", fill=(0, 0, 0), font=font(18), anchor="ra")
        y += 34
    d.line((60, y + 4, W - 60, y + 4), fill=(0, 0, 0), width=2)
    d.text((60, y + 14), "TOTAL (USD)", fill=(0, 0, 0), font=font(20, bold=True))
    d.text((W - 60, y + 14), f"${total:.2f}", fill=(0, 0, 0), font=font(20, bold=True),
           anchor="ra")
    _save(img, path)
    cur = rng.choice(["EUR", "GBP", "JPY", "CNY", "CAD"])
    return {"question": rng.choice(CURRENCY_QUESTIONS).format(cur=cur),
            "expected": {"name": "convert_currency",
                         "arguments": {"amount": total, "from_currency": "USD",
                                       "to_currency": cur}}}


def _sign(rng: random.Random, path: Path) -> dict:
    limit = rng.choice([25, 30, 35, 40, 45, 55, 65, 70, 75])
    img = Image.new("RGB", (W, H), (120, 170, 220))
    d = ImageDraw.Draw(img)
    d.rectangle((W // 2 - 90, 20, W // 2 + 90, H - 20), fill="white", outline="black", width=6)
    d.text((W // 2, 70), "SPEED", fill="black", font=font(30, bold=True), anchor="mm")
    d.text((W // 2, 110), "LIMIT", fill="black", font=font(30, bold=True), anchor="mm")
    d.text((W // 2, 200), str(limit), fill="black", font=font(90, bold=True), anchor="mm")
    d.text((W // 2, 270), "MPH", fill="black", font=font(20), anchor="mm")
    _save(img, path)
    return {"question": rng.choice(SIGN_QUESTIONS),
            "expected": {"name": "convert_units",
                         "arguments": {"value": limit, "from_unit": "mph", "to_unit": "km/h"}}}


def build_example(out_dir: str | Path, n: int = 60, seed: int = 0) -> Path:
    """Write ``n`` items and their images into ``out_dir``; return the JSONL path."""
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    makers = [_ticket, _ticket, _receipt, _sign]
    lines = []
    for i in range(n):
        item_id = f"fc{i:04d}"
        image = f"images/{item_id}.png"
        item = makers[i % len(makers)](rng, out / image)
        lines.append({"id": item_id, "image": image, "tools": TOOLS, **item})
    path = out / "fncall.jsonl"
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines),
                    encoding="utf-8")
    return path
