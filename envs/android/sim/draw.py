"""Drawing the simulated phone's screens with Pillow (1080×2400), from ``Phone.elements()``."""

from __future__ import annotations

from PIL import Image, ImageDraw

from vagent.envs.draw import font

from . import content as C
from .phone import DIALOG_BOX, DIALOGS, H, KB_TOP, NAV_TOP, STATUS_H, W, Element, Phone

WALLPAPERS = [((32, 58, 96), (92, 140, 190)), ((60, 30, 80), (190, 110, 140)),
              ((20, 70, 60), (110, 180, 150)), ((70, 50, 30), (200, 160, 110))]
BLUE = (26, 115, 232)


def _fit(text: str, size: int, width: int, bold: bool = False) -> str:
    f = font(size, bold)
    if f.getlength(text) <= width:
        return text
    while text and f.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


def render(phone: Phone) -> Image.Image:
    s = phone.state
    dark = s.dark_theme
    bg = (32, 33, 36) if dark else (255, 255, 255)
    fg = (232, 234, 237) if dark else (32, 33, 36)
    dim = (154, 160, 166) if dark else (95, 99, 104)
    img = Image.new("RGB", (W, H), bg)
    d = ImageDraw.Draw(img)
    els = phone.elements(modal=False)
    screen = s.screen

    if screen in ("home", "drawer", "recents"):
        top, bottom = WALLPAPERS[s.wallpaper % len(WALLPAPERS)]
        for y in range(0, H, 8):  # a vertical gradient, in bands (cheap)
            t = y / H
            col = tuple(int(top[i] * (1 - t) + bottom[i] * t) for i in range(3))
            d.rectangle((0, y, W, y + 8), fill=col)
        fg, dim = (255, 255, 255), (225, 230, 240)
        if screen == "home":
            d.text((W // 2, 200), "9:41", fill=fg, font=font(120), anchor="mm")
            d.text((W // 2, 300), "Sunday, November 22", fill=dim, font=font(40), anchor="mm")
            d.text((W // 2, 1880), "swipe up for all apps", fill=dim, font=font(30), anchor="mm")
        elif screen == "drawer":
            d.rounded_rectangle((40, 130, 1040, 250), radius=60, fill=(255, 255, 255))
            d.text((110, 190), "Search apps", fill=(95, 99, 104), font=font(40), anchor="lm")
    else:
        _app_chrome(d, phone, fg, dim, bg)

    d.rectangle((0, NAV_TOP, W, H), fill=(0, 0, 0) if screen in ("home", "drawer", "recents")
                else ((20, 20, 22) if dark else (240, 240, 240)))
    for el in els:
        _element(d, el, phone, fg, dim, bg)
    if s.dialog in DIALOGS:
        _dialog(img, phone)
        d = ImageDraw.Draw(img)

    if s.toast:
        tw = font(36).getlength(s.toast) + 80
        box = ((W - tw) // 2, 2100, (W + tw) // 2, 2190)
        d.rounded_rectangle(box, radius=45, fill=(60, 64, 67))
        d.text((W // 2, 2145), s.toast, fill=(255, 255, 255), font=font(36), anchor="mm")
    # status bar and navigation bar
    bar_fg = (255, 255, 255) if screen in ("home", "drawer", "recents") or dark else (32, 33, 36)
    d.text((50, STATUS_H // 2), "9:41", fill=bar_fg, font=font(34, True), anchor="lm")
    icons = ("▲ " if s.wifi else "") + ("✈ " if s.airplane else "") + ("B " if s.bluetooth
                                                                        else "") + "▮ 87%"
    d.text((W - 40, STATUS_H // 2), icons, fill=bar_fg, font=font(32), anchor="rm")
    return img


def _dialog(img: Image.Image, phone: Phone) -> None:
    title, text, _ = DIALOGS[phone.state.dialog]
    shade = Image.new("RGB", img.size, (0, 0, 0))
    img.paste(Image.blend(img, shade, 0.45), (0, 0))
    d = ImageDraw.Draw(img)
    x0, y0, x1, y1 = DIALOG_BOX
    d.rounded_rectangle(DIALOG_BOX, radius=48, fill=(255, 255, 255))
    words, line, lines = title.split(), "", []
    for w in words:
        if font(48, True).getlength(line + " " + w) > x1 - x0 - 120:
            lines.append(line)
            line = w
        else:
            line = (line + " " + w).strip()
    lines.append(line)
    d.multiline_text((x0 + 60, y0 + 70), "\n".join(lines), fill=(32, 33, 36),
                     font=font(48, True), spacing=14)
    d.text((x0 + 60, y0 + 110 + 62 * len(lines)), _fit(text, 36, x1 - x0 - 120),
           fill=(95, 99, 104), font=font(36))
    for el in phone.elements():
        if el.kind == "dialog":
            d.text(el.centre, el.label, fill=BLUE, font=font(42, True), anchor="mm")


def _app_chrome(d: ImageDraw.ImageDraw, phone: Phone, fg, dim, bg) -> None:  # noqa: ANN001
    """What each app screen draws besides its elements: title bars, pages, the map."""
    s = phone.state
    screen = s.screen
    title = {"gmail.inbox": "Inbox", "gmail.compose": "Compose", "settings.main": "Settings",
             "clock.main": "Clock", "store.start": "Google Play", "store.results": "Google Play",
             "settings.sub": "Settings"}.get(screen)
    if title:
        d.text((60, 200), title, fill=fg, font=font(56, True), anchor="lm")
    if screen == "chrome.start":
        d.text((W // 2, 700), "Google", fill=BLUE, font=font(140, True), anchor="mm")
        d.text((W // 2, 860), "Tap the address bar to search the web", fill=dim, font=font(36),
               anchor="mm")
    elif screen == "chrome.results":
        d.text((60, 270), f"Results for “{_fit(s.chrome_query, 34, 700)}” (simulated)",
               fill=dim, font=font(30), anchor="lm")
    elif screen == "chrome.page":
        rows = C.results(s.chrome_query)
        if s.detail is not None and s.detail < len(rows):
            t, sub = rows[s.detail]
            d.text((60, 360), _fit(t, 56, 960, True), fill=fg, font=font(56, True), anchor="lm")
            d.text((60, 450), _fit(sub, 38, 960), fill=dim, font=font(38), anchor="lm")
            d.multiline_text((60, 560), "A simulated web page.\nOpening hours, reviews and\n"
                             "directions would be here.", fill=fg, font=font(40), spacing=18)
    elif screen.startswith("maps."):
        top = 260
        bottom = 1250 if screen == "maps.results" else NAV_TOP
        d.rectangle((0, top, W, bottom), fill=(232, 234, 237) if bg != (32, 33, 36)
                    else (50, 55, 60))
        for k in range(0, W, 180):
            d.line((k, top, k + 120, bottom), fill=(255, 255, 255), width=14)
        for k in range(top, bottom, 240):
            d.line((0, k, W, k + 60), fill=(255, 255, 255), width=18)
        d.line((0, top + 420, W, top + 300), fill=(250, 210, 90), width=26)
        if screen == "maps.results":
            for i in range(min(5, len(C.results(s.maps_query)))):
                x, y = 180 + (i * 197) % 760, top + 140 + (i * 151) % 700
                d.ellipse((x - 28, y - 28, x + 28, y + 28), fill=(234, 67, 53))
                d.text((x, y), str(i + 1), fill=(255, 255, 255), font=font(30, True),
                       anchor="mm")
        if screen == "maps.place":
            rows = C.results(s.maps_query)
            if s.detail is not None and s.detail < len(rows):
                d.rectangle((0, 1500, W, NAV_TOP), fill=bg)
                d.text((60, 1600), _fit(rows[s.detail][0], 56, 960, True), fill=fg,
                       font=font(56, True), anchor="lm")
                d.text((60, 1690), _fit(rows[s.detail][1], 38, 960), fill=dim, font=font(38),
                       anchor="lm")
                d.rounded_rectangle((60, 1800, 460, 1920), radius=60, fill=BLUE)
                d.text((260, 1860), "Directions", fill=(255, 255, 255), font=font(40, True),
                       anchor="mm")
    elif screen == "gmail.email" and s.detail is not None:
        m = C.EMAILS[s.detail]
        d.text((60, 330), _fit(m["subject"], 56, 960, True), fill=fg, font=font(56, True),
               anchor="lm")
        d.ellipse((60, 420, 180, 540), fill=(234, 67, 53))
        d.text((120, 480), m["sender"][0], fill=(255, 255, 255), font=font(56, True),
               anchor="mm")
        d.text((210, 455), m["sender"], fill=fg, font=font(40, True), anchor="lm")
        d.text((210, 510), "to me", fill=dim, font=font(32), anchor="lm")
        words, line, lines = m["body"].split(), "", []
        for w in words:
            if font(42).getlength(line + " " + w) > 960:
                lines.append(line)
                line = w
            else:
                line = (line + " " + w).strip()
        lines.append(line)
        d.multiline_text((60, 620), "\n".join(lines), fill=fg, font=font(42), spacing=20)
    elif screen == "settings.sub" and s.detail is not None:
        from .phone import SETTINGS_ROWS

        d.text((60, 330), SETTINGS_ROWS[s.detail][1], fill=fg, font=font(56, True), anchor="lm")
        d.text((60, 430), "Nothing to change here in the simulator.", fill=dim, font=font(38),
               anchor="lm")
    elif screen == "clock.main":
        big = {"alarm": "7:30 AM  ●", "clock": "9:41", "timer": "00:05:00",
               "stopwatch": "00:00.00"}[s.clock_tab]
        d.text((W // 2, 800), big, fill=fg, font=font(150), anchor="mm")
        d.text((W // 2, 1000), s.clock_tab.capitalize(), fill=dim, font=font(50), anchor="mm")
    elif screen == "store.start":
        d.text((W // 2, 800), "Search for apps & games above", fill=dim, font=font(40),
               anchor="mm")
    elif screen == "app.generic":
        colour, glyph = C.app_style(s.app)
        d.rounded_rectangle((390, 700, 690, 1000), radius=70, fill=colour)
        d.text((540, 850), glyph, fill=(255, 255, 255), font=font(150, True), anchor="mm")
        d.text((W // 2, 1150), C.label_of(s.app), fill=fg, font=font(64, True), anchor="mm")
        d.text((W // 2, 1250), "(a placeholder app in the simulator)", fill=dim, font=font(36),
               anchor="mm")
    if screen == "store.results" and not any(e.kind == "row" for e in phone.elements()):
        d.text((W // 2, 700), f"No apps match “{s.store_query}”", fill=dim, font=font(40),
               anchor="mm")


def _element(d: ImageDraw.ImageDraw, el: Element, phone: Phone, fg, dim, bg) -> None:  # noqa: ANN001
    x0, y0, x1, y1 = el.box
    cx, cy = el.centre
    dark = phone.state.dark_theme
    if el.kind == "icon":
        colour, glyph = C.app_style(el.id.partition(":")[2])
        d.rounded_rectangle((cx - 80, y0 + 20, cx + 80, y0 + 180), radius=40, fill=colour)
        d.text((cx, y0 + 100), glyph, fill=(255, 255, 255), font=font(72, True), anchor="mm")
        d.text((cx, y0 + 225), _fit(el.label, 34, 240), fill=(255, 255, 255), font=font(34),
               anchor="mm")
    elif el.kind == "field":
        if el.id == "search_widget":
            d.rounded_rectangle(el.box, radius=70, fill=(255, 255, 255))
            d.text((x0 + 70, cy), "G", fill=BLUE, font=font(56, True), anchor="lm")
            d.text((x0 + 150, cy), "Search", fill=(95, 99, 104), font=font(42), anchor="lm")
            return
        fill = (48, 49, 52) if dark else (241, 243, 244)
        d.rounded_rectangle((x0, y0, el.box[2] if not el.label else 1040, y1), radius=40,
                            fill=fill, outline=BLUE if el.on else None, width=4)
        text = el.label.replace("\n", "⏎").replace("\t", "⇥")
        shown = text if text else el.sub
        colour = fg if text else dim
        f = font(40)
        while text and f.getlength(shown) > x1 - x0 - 80:
            shown = shown[1:]  # keep the end of long text in view, as a field scrolls
        d.text((x0 + 40, y0 + min(60, (y1 - y0) // 2)), shown + ("|" if el.on else ""),
               fill=colour, font=f, anchor="lm")
    elif el.kind == "clear":
        d.text((cx, cy), "✕", fill=dim, font=font(44), anchor="mm")
    elif el.kind == "row":
        d.line((40, y1 - 1, W - 40, y1 - 1), fill=(60, 64, 67) if dark else (218, 220, 224),
               width=2)
        d.text((60, y0 + (y1 - y0) * 0.38), _fit(el.label, 44, 700 if el.id.startswith("app:")
                                                 else 960, True),
               fill=BLUE if el.id.startswith("result:") else fg, font=font(44, True), anchor="lm")
        d.text((60, y0 + (y1 - y0) * 0.70), _fit(el.sub, 34, 960), fill=dim, font=font(34),
               anchor="lm")
    elif el.kind == "toggle":
        d.line((40, y1 - 1, W - 40, y1 - 1), fill=(218, 220, 224), width=2)
        d.text((60, cy), el.label, fill=fg, font=font(46), anchor="lm")
        d.text((60, cy + 55), "On" if el.on else "Off", fill=dim, font=font(32), anchor="lm")
        track = (W - 220, cy - 35, W - 60, cy + 35)
        d.rounded_rectangle(track, radius=35, fill=BLUE if el.on else (154, 160, 166))
        kx = W - 95 if el.on else W - 185
        d.ellipse((kx - 30, cy - 30, kx + 30, cy + 30), fill=(255, 255, 255))
    elif el.kind == "button":
        d.rounded_rectangle(el.box, radius=(y1 - y0) // 2, fill=BLUE if el.id != "compose"
                            else (194, 231, 255))
        d.text((cx, cy), el.label, fill=(255, 255, 255) if el.id != "compose" else (0, 29, 53),
               font=font(40, True), anchor="mm")
    elif el.kind == "tab":
        d.text((cx, cy), el.label, fill=BLUE if el.on else dim, font=font(38, el.on),
               anchor="mm")
        if el.on:
            d.rectangle((x0 + 40, y1 - 10, x1 - 40, y1), fill=BLUE)
    elif el.kind == "card":
        d.rounded_rectangle(el.box, radius=40, fill=(255, 255, 255))
        colour, glyph = C.app_style(el.id.partition(":")[2])
        d.rounded_rectangle((x0 + 40, y0 + 40, x0 + 160, y0 + 160), radius=30, fill=colour)
        d.text((x0 + 100, y0 + 100), glyph, fill=(255, 255, 255), font=font(60, True),
               anchor="mm")
        d.text((x0 + 200, y0 + 100), el.label, fill=(32, 33, 36), font=font(48, True),
               anchor="lm")
    elif el.kind == "key":
        if el.id == "key:q":  # draw the keyboard's background once, under the first key
            d.rectangle((0, KB_TOP, W, NAV_TOP), fill=(40, 42, 46) if dark else (232, 234, 237))
        d.rounded_rectangle((x0 + 6, y0 + 6, x1 - 6, y1 - 6), radius=16,
                            fill=(70, 72, 76) if dark else (255, 255, 255))
        d.text((cx, cy), el.label, fill=fg, font=font(48 if len(el.label) == 1 else 36),
               anchor="mm")
    elif el.kind == "nav":
        d.text((cx, cy), el.label, fill=(200, 200, 200), font=font(50), anchor="mm")
