"""The simulated phone's state and screens — a SIMULATOR, not Android.

``Phone`` holds what a 1080×2400 Android phone would show (launcher, app drawer, Chrome, Maps,
Gmail, Settings, Clock, Play Store, an on-screen keyboard, back/home/recents) as a pydantic
``PhoneState`` and lays each screen out as a list of ``Element`` boxes. The same elements are
hit-tested for taps, drawn by ``sim.draw`` and used by the tasks' oracles, so what the agent
sees, what a tap does and what the oracle aims at can never disagree.

``sim.commands`` turns device commands (``input tap``, ``am start``, ...) into the methods here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from . import content as C

W, H = 1080, 2400
STATUS_H = 80
NAV_TOP = 2280
KB_TOP = 1500
APP_BAR = (0, STATUS_H, W, 260)
ADBIME = "com.android.adbkeyboard/.AdbIME"
LATINIME = "com.google.android.inputmethod.latin/com.android.inputmethod.latin.LatinIME"
SINGLE_LINE = {"chrome.url", "maps.search", "store.search", "compose.to", "compose.subject"}
KEY_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
ROW_H = 220  # list rows
MAX_EVENTS = 200


class Element(BaseModel):
    """A box on the screen: what it is (``id``), where (``box``) and what it shows."""

    id: str
    box: tuple[int, int, int, int]
    kind: str = "button"  # icon, field, button, row, toggle, key, nav, tab, clear, card
    label: str = ""
    sub: str = ""
    on: bool | None = None

    @property
    def centre(self) -> tuple[int, int]:
        return (self.box[0] + self.box[2]) // 2, (self.box[1] + self.box[3]) // 2

    def contains(self, x: float, y: float) -> bool:
        return self.box[0] <= x < self.box[2] and self.box[1] <= y < self.box[3]


class Place(BaseModel):
    app: str
    screen: str
    detail: int | None = None
    scroll: int = 0


class PhoneState(BaseModel):
    """Everything the simulated phone knows; ``--state-file`` holds this as JSON."""

    app: str = C.LAUNCHER  # foreground package
    screen: str = "home"
    detail: int | None = None  # which result / email / row is open
    scroll: int = 0
    typed: list[str] = Field(default_factory=list)  # every text delivered, as decoded
    focus: str | None = None  # the text field that has the keyboard
    fields: dict[str, str] = Field(default_factory=dict)
    chrome_query: str = ""
    maps_query: str = ""
    store_query: str = ""
    wifi: bool = True
    bluetooth: bool = False
    dark_theme: bool = False
    airplane: bool = False
    installed: list[str] = Field(default_factory=list)  # packages added from the Play Store
    inbox: list[int] = Field(default_factory=lambda: list(range(len(C.EMAILS))))
    sent: list[dict[str, str]] = Field(default_factory=list)
    clock_tab: str = "clock"
    home_apps: list[str] = Field(default_factory=lambda: list(C.HOME_APPS))
    wallpaper: int = 0
    adb_keyboard: bool = True  # whether the ADB Keyboard IME is installed
    ime: str = LATINIME
    toast: str = ""
    dialog: str | None = None  # a pop-up over the screen (a key of DIALOGS)
    back: list[Place] = Field(default_factory=list)
    resume: dict[str, Place] = Field(default_factory=dict)  # where each app was left
    recents: list[str] = Field(default_factory=list)
    events: list[str] = Field(default_factory=list)  # taps, swipes, keys (most recent last)


SCREEN_TITLES = {
    "gmail.inbox": "Inbox", "gmail.email": "", "gmail.compose": "Compose",
    "settings.main": "Settings", "settings.sub": "", "clock.main": "Clock",
    "store.start": "Google Play", "store.results": "Google Play", "recents": "Recent apps",
    "maps.place": "",
}
SETTINGS_ROWS = [("toggle:wifi", "Wi-Fi", "wifi"), ("toggle:bluetooth", "Bluetooth", "bluetooth"),
                 ("toggle:airplane", "Airplane mode", "airplane"),
                 ("toggle:dark_theme", "Dark theme", "dark_theme"),
                 ("row:sound", "Sound & vibration", ""), ("row:battery", "Battery", ""),
                 ("row:storage", "Storage", ""), ("row:about", "About phone", "")]
CLOCK_TABS = ["alarm", "clock", "timer", "stopwatch"]
# Pop-ups that can cover any screen at the start of an episode (distractors): title, text,
# buttons. Either button closes the pop-up; until then it is modal, as on Android.
DIALOGS = {
    "update": ("System update available", "Install the update tonight?", ("Later", "Install")),
    "location": ("Allow Maps to access this device's location?", "Only while using the app",
                 ("Deny", "Allow")),
    "rate": ("Enjoying Chrome?", "Tell us what you think on Google Play", ("Not now", "Rate")),
    "battery": ("Battery saver", "Battery at 15%. Turn on Battery Saver?", ("Cancel", "Turn on")),
}
DIALOG_BOX = (90, 860, 990, 1500)
#: What no screen shows: the history behind back and an app's resume point, what was typed and
#: sent, the input method, the event log. Frames are cached by the rest of the state
#: (``Phone.look``), so ``sim.draw`` must read none of these.
UNSEEN = frozenset({"typed", "sent", "ime", "adb_keyboard", "back", "resume", "events"})


class Phone:
    """The simulated phone: state, layout, and what each input does to it."""

    def __init__(self, state: PhoneState | None = None):
        self.state = state or PhoneState()

    # -- queries ---------------------------------------------------------------------------------
    @property
    def keyboard(self) -> bool:
        return self.state.focus is not None

    def packages(self) -> list[str]:
        pk = [p for p, _, _ in C.APPS.values()] + list(self.state.installed)
        others = [p for p in C.OTHER_PACKAGES if p != "com.android.adbkeyboard"
                  or self.state.adb_keyboard]
        return sorted(set(pk + others))

    def launchable(self) -> dict[str, str]:
        """label -> package of every app in the drawer."""
        out = {label: pkg for label, (pkg, _, _) in C.APPS.items()}
        for label, (pkg, _, _) in C.STORE_APPS.items():
            if pkg in self.state.installed:
                out[label] = pkg
        return dict(sorted(out.items()))

    def look(self) -> str:
        """The state the screen is drawn from, as JSON: the same look, the same pixels."""
        return self.state.model_dump_json(exclude=set(UNSEEN))

    def find(self, element_id: str) -> Element | None:
        return next((e for e in self.elements() if e.id == element_id), None)

    # -- layout ----------------------------------------------------------------------------------
    def content_bottom(self) -> int:
        return KB_TOP if self.keyboard else NAV_TOP

    def elements(self, modal: bool = True) -> list[Element]:
        """The screen's interactive boxes, bottom layer first (so hit-testing goes backwards).
        While a pop-up is open only its buttons and the navigation bar answer (``modal``)."""
        s = self.state
        if modal and s.dialog in DIALOGS:
            x0, y0, x1, y1 = DIALOG_BOX
            left, right = DIALOGS[s.dialog][2]
            return [Element(id="dialog:0", box=(x0 + 50, y1 - 150, 520, y1 - 40), kind="dialog",
                            label=left),
                    Element(id="dialog:1", box=(560, y1 - 150, x1 - 50, y1 - 40), kind="dialog",
                            label=right)] + self._nav()
        els: list[Element] = []
        screen = s.screen
        if screen == "home":
            els.append(Element(id="search_widget", box=(60, 1960, 1020, 2100), kind="field",
                               label="Search"))
            els += self._grid([(lbl, self.launchable().get(lbl)) for lbl in s.home_apps
                               if lbl in self.launchable()], top=420)
        elif screen == "drawer":
            els += self._grid(list(self.launchable().items()), top=300)
        elif screen == "recents":
            for i, pkg in enumerate(reversed(s.recents[-4:])):
                y = 300 + i * 480
                els.append(Element(id=f"recent:{pkg}", box=(120, y, 960, y + 420), kind="card",
                                   label=C.label_of(pkg)))
        elif screen.startswith("chrome."):
            els += self._field("chrome.url", "Search or type web address", top=110)
            if screen == "chrome.results":
                els += self._rows("result", C.results(s.chrome_query), top=300, height=240)
        elif screen.startswith("maps."):
            els += self._field("maps.search", "Search here", top=110)
            if screen == "maps.results":
                els += self._rows("place", C.results(s.maps_query), top=1250, height=200)
        elif screen == "gmail.inbox":
            rows = [(C.EMAILS[i]["sender"], C.EMAILS[i]["subject"]) for i in s.inbox]
            els += self._rows("email", rows, top=280, ids=list(s.inbox))
            els.append(Element(id="compose", box=(700, 2080, 1020, 2230), kind="button",
                               label="✎ Compose"))
        elif screen == "gmail.compose":
            for fid, label, top in (("compose.to", "To", 300), ("compose.subject", "Subject", 460),
                                    ("compose.body", "Compose email", 620)):
                els += self._field(fid, label, top=top, height=140 if fid != "compose.body"
                                   else 400)
            els.append(Element(id="send", box=(840, 110, 1040, 230), kind="button", label="Send"))
        elif screen == "settings.main":
            for i, (eid, label, flag) in enumerate(SETTINGS_ROWS):
                y = 300 + i * 200 - s.scroll
                if y + 200 <= 280 or y >= self.content_bottom():
                    continue
                els.append(Element(id=eid, box=(0, y, W, y + 200),
                                   kind="toggle" if flag else "row", label=label,
                                   on=getattr(s, flag) if flag else None))
        elif screen == "clock.main":
            for i, tab in enumerate(CLOCK_TABS):
                x = i * (W // 4)
                els.append(Element(id=f"tab:{tab}", box=(x, 2100, x + W // 4, 2270), kind="tab",
                                   label=tab.capitalize(), on=s.clock_tab == tab))
        elif screen.startswith("store."):
            els += self._field("store.search", "Search for apps & games", top=110)
            if screen == "store.results":
                q = C.normalise(s.store_query)
                hits = [(lbl, v) for lbl, v in C.STORE_APPS.items() if q and q in lbl.lower()]
                for i, (lbl, (pkg, _, _)) in enumerate(hits):
                    y = 300 + i * 240
                    els.append(Element(id=f"app:{pkg}", box=(0, y, W, y + 240), kind="row",
                                       label=lbl, sub="Installed" if pkg in s.installed
                                       else "Free · 4.5 ★"))
                    done = pkg in s.installed
                    els.append(Element(id=f"{'open' if done else 'install'}:{pkg}",
                                       box=(780, y + 60, 1040, y + 180), kind="button",
                                       label="Open" if done else "Install"))
        if self.keyboard:
            els += self._keyboard()
        return els + self._nav()

    @staticmethod
    def _nav() -> list[Element]:
        return [Element(id="nav.back", box=(170, NAV_TOP, 370, H), kind="nav", label="◀"),
                Element(id="nav.home", box=(440, NAV_TOP, 640, H), kind="nav", label="●"),
                Element(id="nav.recents", box=(710, NAV_TOP, 910, H), kind="nav", label="■")]

    def _grid(self, apps: list[tuple[str, str | None]], top: int) -> list[Element]:
        out = []
        for i, (label, pkg) in enumerate(apps):
            if pkg is None:
                continue
            col, row = i % 4, i // 4
            x, y = 40 + col * 250, top + row * 300
            out.append(Element(id=f"icon:{pkg}", box=(x, y, x + 250, y + 280), kind="icon",
                               label=label))
        return out

    def _field(self, fid: str, placeholder: str, top: int, height: int = 120) -> list[Element]:
        text = self.state.fields.get(fid, "")
        els = [Element(id=f"field:{fid}", box=(40, top, 1040 if not text else 920, top + height),
                       kind="field", label=text, sub=placeholder, on=self.state.focus == fid)]
        if text:
            els.append(Element(id=f"clear:{fid}", box=(920, top, 1040, top + height),
                               kind="clear", label="✕"))
        return els

    def _rows(self, prefix: str, rows: list[tuple[str, str]], top: int, height: int = ROW_H,
              ids: list[int] | None = None) -> list[Element]:
        out = []
        bottom = self.content_bottom()
        for i, (title, sub) in enumerate(rows):
            y = top + i * height - self.state.scroll
            if y + height <= top or y >= bottom:
                continue
            out.append(Element(id=f"{prefix}:{ids[i] if ids else i}",
                               box=(0, max(y, top), W, min(y + height, bottom)), kind="row",
                               label=title, sub=sub))
        return out

    def _keyboard(self) -> list[Element]:
        out = []
        kw = W // 10
        for r, row in enumerate(KEY_ROWS):
            x0 = (W - len(row) * kw) // 2
            y = KB_TOP + 40 + r * 170
            for j, ch in enumerate(row):
                out.append(Element(id=f"key:{ch}", box=(x0 + j * kw, y, x0 + (j + 1) * kw, y + 160),
                                   kind="key", label=ch))
        y = KB_TOP + 40 + 2 * 170
        out.append(Element(id="key:del", box=(W - 150, y, W, y + 160), kind="key", label="⌫"))
        y += 170
        out.append(Element(id="key:,", box=(120, y, 240, y + 160), kind="key", label=","))
        out.append(Element(id="key:space", box=(240, y, 780, y + 160), kind="key", label="space"))
        out.append(Element(id="key:.", box=(780, y, 900, y + 160), kind="key", label="."))
        out.append(Element(id="key:enter", box=(900, y, W, y + 160), kind="key", label="⏎"))
        return out

    def max_scroll(self) -> int:
        s = self.state
        n = {"chrome.results": (len(C.results(s.chrome_query)), 240, 300),
             "maps.results": (len(C.results(s.maps_query)), 200, 1250),
             "gmail.inbox": (len(s.inbox), ROW_H, 280),
             "settings.main": (len(SETTINGS_ROWS), 200, 300)}.get(s.screen)
        if n is None:
            return 0
        count, height, top = n
        return max(0, top + count * height - self.content_bottom())

    # -- changes -----------------------------------------------------------------------------------
    def _event(self, text: str) -> None:
        self.state.events = (self.state.events + [text])[-MAX_EVENTS:]

    def _go(self, app: str, screen: str, detail: int | None = None, push: bool = True) -> None:
        s = self.state
        if push and (s.app, s.screen, s.detail) != (app, screen, detail):
            s.back.append(Place(app=s.app, screen=s.screen, detail=s.detail, scroll=s.scroll))
        if s.app != C.LAUNCHER and s.app != app:
            s.resume[s.app] = Place(app=s.app, screen=s.screen, detail=s.detail, scroll=s.scroll)
        s.app, s.screen, s.detail, s.scroll = app, screen, detail, 0
        s.focus = None
        if app != C.LAUNCHER:
            s.recents = [p for p in s.recents if p != app] + [app]

    def home(self) -> None:
        s = self.state
        s.dialog = None
        self._go(C.LAUNCHER, "home", push=False)
        s.back = []
        s.toast = ""

    def go_back(self) -> None:
        s = self.state
        if s.dialog is not None:  # back closes a pop-up first
            s.dialog = None
        elif s.focus is not None:  # then the keyboard, as on Android
            s.focus = None
        elif s.back:
            place = s.back.pop()
            self._go(place.app, place.screen, place.detail, push=False)
            s.scroll = place.scroll
        elif s.screen != "home":
            self.home()

    def launch(self, package: str) -> bool:
        s = self.state
        if package == C.LAUNCHER:
            self.home()
            return True
        if package not in self.launchable().values():
            return False
        if s.app == package:
            return True
        place = s.resume.get(package)
        if place is not None:
            self._go(package, place.screen, place.detail)
            s.scroll = place.scroll
            return True
        root = {"com.android.chrome": "chrome.start", "com.google.android.apps.maps": "maps.start",
                "com.google.android.gm": "gmail.inbox", "com.android.settings": "settings.main",
                "com.google.android.deskclock": "clock.main", "com.android.vending": "store.start"}
        self._go(package, root.get(package, "app.generic"))
        return True

    def tap(self, x: float, y: float) -> str:
        s = self.state
        s.toast = ""
        hit = next((e for e in reversed(self.elements()) if e.contains(x, y)), None)
        self._event(f"tap {x:g} {y:g} -> {hit.id if hit else 'nothing'}")
        if hit is None:
            if s.dialog is not None:
                return "nothing"  # a modal pop-up swallows taps outside its buttons
            if self.keyboard and y < KB_TOP and not self._field_at(x, y):
                s.focus = None  # tapping outside a field hides the keyboard
            return "nothing"
        self.activate(hit)
        return hit.id

    def _field_at(self, x: float, y: float) -> bool:
        return any(e.kind == "field" and e.contains(x, y) for e in self.elements())

    def activate(self, el: Element) -> None:
        s = self.state
        kind, _, arg = el.id.partition(":")
        if kind == "dialog":
            s.dialog = None
        elif el.id == "nav.back":
            self.go_back()
        elif el.id == "nav.home":
            self.home()
        elif el.id == "nav.recents":
            self.recents()
        elif kind in ("icon", "recent", "open"):
            self.launch(arg)
        elif el.id == "search_widget":
            self.launch("com.android.chrome")
            self._go("com.android.chrome", "chrome.start", push=False)
            s.fields["chrome.url"] = ""
            s.focus = "chrome.url"
        elif kind == "field":
            s.focus = arg
            if arg == "chrome.url" and s.screen != "chrome.start":
                s.fields.setdefault(arg, s.chrome_query)
        elif kind == "clear":
            s.fields[arg] = ""
            s.focus = arg
        elif kind == "key":
            self.key_tap(arg)
        elif kind == "result":
            self._go(s.app, "chrome.page", int(arg))
        elif kind == "place":
            self._go(s.app, "maps.place", int(arg))
        elif kind == "email":
            self._go(s.app, "gmail.email", int(arg))
        elif el.id == "compose":
            for f in ("compose.to", "compose.subject", "compose.body"):
                s.fields[f] = ""
            self._go(s.app, "gmail.compose")
            s.focus = "compose.to"
        elif el.id == "send":
            self.send_email()
        elif kind == "toggle":
            setattr(s, arg, not getattr(s, arg))
            if arg == "airplane" and s.airplane:
                s.wifi = s.bluetooth = False
        elif kind == "row":
            self._go(s.app, "settings.sub", [r[0] for r in SETTINGS_ROWS].index(el.id))
        elif kind == "tab":
            s.clock_tab = arg
        elif kind == "install":
            s.installed = sorted(set(s.installed) | {arg})
            s.toast = f"{C.label_of(arg)} installed"

    def recents(self) -> None:
        if self.state.screen != "recents":
            self._go(C.LAUNCHER, "recents")

    def send_email(self) -> None:
        s = self.state
        to = s.fields.get("compose.to", "").strip()
        if not to:
            s.toast = "Add at least one recipient"
            return
        s.sent.append({"to": to, "subject": s.fields.get("compose.subject", ""),
                       "body": s.fields.get("compose.body", "")})
        s.toast = "Message sent"
        self._go(s.app, "gmail.inbox", push=False)
        s.back = [p for p in s.back if p.screen != "gmail.compose"]

    def long_press(self, x: float, y: float) -> str:
        hit = next((e for e in reversed(self.elements()) if e.contains(x, y)), None)
        self._event(f"long_press {x:g} {y:g} -> {hit.id if hit else 'nothing'}")
        if hit is not None and hit.kind == "icon":
            self.state.toast = f"App info: {hit.label}"
        elif hit is not None and hit.kind == "field":
            self.state.focus = hit.id.partition(":")[2]
        return hit.id if hit else "nothing"

    def swipe(self, x1: float, y1: float, x2: float, y2: float, ms: int) -> None:
        s = self.state
        dx, dy = x2 - x1, y2 - y1
        if abs(dx) < 20 and abs(dy) < 20:
            if ms >= 500:
                self.long_press(x1, y1)
            else:
                self.tap(x1, y1)
            return
        self._event(f"swipe {x1:g} {y1:g} {x2:g} {y2:g} {ms}")
        s.toast = ""
        if abs(dx) > abs(dy):
            if x1 < 40 and dx > 100:  # the edge gesture
                self.go_back()
            return
        if s.screen == "home" and dy < -300:
            self._go(C.LAUNCHER, "drawer")
        elif s.screen == "drawer" and dy > 300:
            self.home()
        else:
            # the finger moving up (dy < 0) reveals what is below
            s.scroll = int(min(max(s.scroll - dy, 0), self.max_scroll()))

    # -- keys and text -----------------------------------------------------------------------------
    def keyevent(self, code: int) -> None:
        s = self.state
        self._event(f"key {code}")
        if code == 3:
            self.home()
        elif code == 4:
            self.go_back()
        elif code == 187:
            self.recents()
        elif code == 66:
            self._insert("\n")
        elif code == 67:
            if s.focus:
                s.fields[s.focus] = s.fields.get(s.focus, "")[:-1]
        elif code == 82:
            s.toast = "Menu"
        elif code == 61:
            self._insert("\t")
        elif code == 62:
            self._insert(" ")
        elif 29 <= code <= 54:
            self._insert(chr(ord("a") + code - 29))
        elif 7 <= code <= 16:
            self._insert(str(code - 7))

    def key_tap(self, name: str) -> None:
        special = {"del": None, "space": " ", "enter": "\n"}
        if name == "del":
            self.keyevent(67)
        else:
            self._insert(special.get(name, name))

    def deliver_text(self, text: str) -> None:
        """Text from ``input text`` or the ADB Keyboard: recorded in ``typed``, then typed into
        the focused field (a newline in a one-line field acts as the IME's enter)."""
        self.state.typed.append(text)
        self._insert(text)

    def _insert(self, text: str) -> None:
        s = self.state
        for ch in text:
            if s.focus is None:
                return  # no field: the keys go nowhere, as on a device
            if ch == "\n" and s.focus in SINGLE_LINE:
                self.submit(s.focus)
                continue
            s.fields[s.focus] = s.fields.get(s.focus, "") + ch

    def submit(self, fid: str) -> None:
        s = self.state
        text = s.fields.get(fid, "")
        if fid == "chrome.url":
            if not text.strip():
                return
            s.chrome_query = text
            self._go("com.android.chrome", "chrome.results")
        elif fid == "maps.search":
            if not text.strip():
                return
            s.maps_query = text
            self._go("com.google.android.apps.maps", "maps.results")
        elif fid == "store.search":
            if not text.strip():
                return
            s.store_query = text
            self._go("com.android.vending", "store.results")
        elif fid == "compose.to":
            s.focus = "compose.subject"
        elif fid == "compose.subject":
            s.focus = "compose.body"

    def snapshot(self) -> dict[str, Any]:
        return self.state.model_dump(mode="json")
