"""The project's own playing cards, drawn with Pillow: faces, backs and the green table.

Suit symbols are drawn as shapes rather than font glyphs, so they look the same with DejaVu and
with Pillow's fallback font. Ranks are 1..13 (1 = A, 11..13 = J, Q, K); suits are S, H, D, C.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from vagent.envs.draw import font

TABLE = (53, 101, 77)  # the felt green RL4VLM's images use (#35654d)
RED = (200, 30, 40)
BLACK = (20, 20, 20)
SUITS = ("S", "H", "D", "C")
LABELS = {1: "A", 11: "J", 12: "Q", 13: "K"}

Card = tuple[int, str]  # (rank 1..13, suit)


def label(rank: int) -> str:
    return LABELS.get(rank, str(rank))


def value(rank: int) -> int:
    """Points of a rank in these games: face cards count 10, an ace 1."""
    return min(rank, 10)


def draw_suit(d: ImageDraw.ImageDraw, suit: str, cx: float, cy: float, size: float) -> None:
    """A suit symbol centred on (cx, cy), ``size`` pixels tall."""
    r = size / 2
    colour = RED if suit in ("H", "D") else BLACK
    if suit == "D":
        d.polygon([(cx, cy - r), (cx + 0.72 * r, cy), (cx, cy + r), (cx - 0.72 * r, cy)],
                  fill=colour)
    elif suit == "H":
        lobe = 0.5 * r
        d.ellipse((cx - 2 * lobe, cy - r, cx, cy - r + 2 * lobe), fill=colour)
        d.ellipse((cx, cy - r, cx + 2 * lobe, cy - r + 2 * lobe), fill=colour)
        d.polygon([(cx - 1.95 * lobe, cy - r + 1.3 * lobe), (cx + 1.95 * lobe, cy - r + 1.3 * lobe),
                   (cx, cy + r)], fill=colour)
    elif suit == "S":
        lobe = 0.45 * r
        d.polygon([(cx, cy - r), (cx + 2 * lobe, cy + 0.25 * r), (cx - 2 * lobe, cy + 0.25 * r)],
                  fill=colour)
        d.ellipse((cx - 2 * lobe, cy - 0.25 * r, cx, cy - 0.25 * r + 2 * lobe), fill=colour)
        d.ellipse((cx, cy - 0.25 * r, cx + 2 * lobe, cy - 0.25 * r + 2 * lobe), fill=colour)
        d.polygon([(cx, cy + 0.2 * r), (cx + 0.4 * r, cy + r), (cx - 0.4 * r, cy + r)],
                  fill=colour)
    else:  # clubs
        lobe = 0.36 * r
        for ox, oy in ((0, -0.52 * r), (-0.5 * r, 0.12 * r), (0.5 * r, 0.12 * r)):
            d.ellipse((cx + ox - lobe, cy + oy - lobe, cx + ox + lobe, cy + oy + lobe),
                      fill=colour)
        d.polygon([(cx, cy - 0.1 * r), (cx + 0.4 * r, cy + r), (cx - 0.4 * r, cy + r)],
                  fill=colour)


def draw_card(img: Image.Image, box: tuple[int, int, int, int], card: Card) -> None:
    """A face-up card filling ``box`` (x0, y0, x1, y1)."""
    rank, suit = card
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    d = ImageDraw.Draw(img)
    d.rounded_rectangle(box, radius=max(3, w // 12), fill=(252, 252, 248), outline=(90, 90, 90),
                        width=1)
    colour = RED if suit in ("H", "D") else BLACK
    text = label(rank)
    corner = font(max(9, int(h * 0.2)), bold=True)
    d.text((x0 + w * 0.07, y0 + h * 0.04), text, fill=colour, font=corner)
    draw_suit(d, suit, x0 + w * 0.07 + h * 0.07, y0 + h * 0.32, h * 0.12)
    d.text((x1 - w * 0.07, y1 - h * 0.04), text, fill=colour, font=corner, anchor="rd")
    centre = (x0 + w * 0.58, y0 + h * 0.56)
    if rank > 10:
        # A framed letter stands in for the court figure.
        fx0, fy0, fx1, fy1 = x0 + w * 0.28, y0 + h * 0.26, x0 + w * 0.72, y0 + h * 0.74
        d.rectangle((fx0, fy0, fx1, fy1), outline=colour, width=max(1, w // 40))
        d.text(((fx0 + fx1) / 2, (fy0 + fy1) / 2), text, fill=colour,
               font=font(max(10, int(h * 0.28)), bold=True), anchor="mm")
    else:
        draw_suit(d, suit, *centre, h * 0.36)


def draw_back(img: Image.Image, box: tuple[int, int, int, int]) -> None:
    """A face-down card: a blue back with a lattice inside a white margin."""
    x0, y0, x1, y1 = box
    d = ImageDraw.Draw(img)
    d.rounded_rectangle(box, radius=max(3, (x1 - x0) // 12), fill=(250, 250, 250),
                        outline=(90, 90, 90))
    w, h = x1 - x0 - 8, y1 - y0 - 8
    pattern = Image.new("RGB", (w, h), (35, 70, 160))
    p = ImageDraw.Draw(pattern)
    for k in range(-h, w + h, 8):
        p.line((k, 0, k + h, h), fill=(90, 125, 210))
        p.line((k, h, k + h, 0), fill=(90, 125, 210))
    img.paste(pattern, (x0 + 4, y0 + 4))


def table(size: tuple[int, int] = (300, 300)) -> Image.Image:
    return Image.new("RGB", size, TABLE)
