"""Tasks on the simulated phone: wordings, randomised start screens, success checks, oracles.

A task is a template (web search, maps search, open an email, send an email, toggle a setting,
install an app, search the Play Store, open an app, open a Clock tab, open the app drawer, go
home) with parameters. ``resolve(text, seed)`` reads a task from free text ("find restaurants
in San Diego") and builds its start state: with ``seed=None`` the template's canonical start
(for the web search: reading Alice's email about the trip), with a seed a randomised one (start
screen, home-screen icon order and which apps are on it, wallpaper, theme, inbox order, a
distractor query left in Chrome or Maps). ``sample(rng, split)`` draws a task text and seed for
generating training data; the ``held_out`` wordings never appear in the ``train`` split.

The success check reads the simulator's state; the oracle looks at the state and lays the screen
out with ``sim.phone`` to tap exactly where the elements are, so it works from any start and
after any detour (it is closed-loop: one action per call).
"""

from __future__ import annotations

import base64
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vagent.actions import Action, Button, Click, Key, OpenApp, Scroll, Swipe, Terminate, Type

from . import pools as P
from .sim import content as C
from .sim.phone import CLOCK_TABS, DIALOGS, Phone, PhoneState

State = dict[str, Any]

# The canonical task list (README, tests, `vagent run`): every one resolves and its oracle solves it.
TASKS = [
    "find restaurants in San Diego",
    "search for pizza near me",
    "look up the weather in Paris",
    "find coffee shops in Seattle on Maps",
    "open the email from Alice",
    "send an email to bob@example.com with the subject Lunch",
    "turn on dark theme",
    "turn off Wi-Fi",
    "install Spotify from the Play Store",
    "search the Play Store for Duolingo",
    "open the Clock app",
    "open the timer in the Clock app",
    "open the app drawer",
    "go to the home screen",
]

WEB_QUERIES = ["restaurants in San Diego", "pizza near me", "weather in Paris",
               "coffee shops in Seattle", "hotels in Chicago", "flights to Tokyo",
               "museums in London", "bookstores in Boston", "tacos in Austin",
               "hiking trails near Denver", "sushi in Los Angeles", "bakeries in Portland"]
MAPS_QUERIES = ["coffee shops in Seattle", "gas station", "pizza near me", "parks in Portland",
                "pharmacy near me", "restaurants in San Diego", "libraries in Boston"]
SETTINGS = {"wi-fi": "wifi", "wifi": "wifi", "wi fi": "wifi", "bluetooth": "bluetooth",
            "dark theme": "dark_theme", "dark mode": "dark_theme",
            "airplane mode": "airplane", "flight mode": "airplane"}
SETTING_LABEL = {"wifi": "Wi-Fi", "bluetooth": "Bluetooth", "dark_theme": "dark theme",
                 "airplane": "airplane mode"}


def _n(text: str) -> str:
    q = C.normalise(text)
    return re.sub(r"^(the|a|an) ", "", q)


# -- oracle building blocks ---------------------------------------------------------------------------
def _tap(p: Phone, element_id: str) -> Action | None:
    el = p.find(element_id)
    return Click(x=el.centre[0], y=el.centre[1]) if el else None


def _go_app(p: Phone, pkg: str) -> Action | None:
    """The next action towards ``pkg`` in the foreground, or None when it already is. The
    launcher's own ``open`` (am start / monkey) is the shortest way from anywhere, like a person
    using the launcher's search; a policy may still tap the icons (they stay on the screen)."""
    s = p.state
    if s.app == pkg and s.screen != "recents":
        return None
    return OpenApp(name=C.label_of(pkg))


def _fill(p: Phone, fid: str, text: str) -> Action | None:
    """The next action to make field ``fid`` hold ``text``, or None when it does."""
    s = p.state
    current = s.fields.get(fid, "")
    if current == text:
        return None
    if s.focus != fid:
        return _tap(p, f"field:{fid}") or Button(name="back")
    if current:
        return _tap(p, f"clear:{fid}")
    return Type(text=text)


def _search(p: Phone, pkg: str, fid: str, results_screen: str, query_attr: str,
            query: str) -> Action:
    s = p.state
    step = _go_app(p, pkg)
    if step:
        return step
    if s.screen == results_screen and _n(getattr(s, query_attr)) == _n(query) and \
            s.focus is None:
        return Terminate(status="success")
    step = _fill(p, fid, query)
    if isinstance(step, Type):
        return Type(text=query, submit=True)
    return step or Key(keys=["enter"])


def _find_row(p: Phone, element_id: str) -> Action:
    """Tap a list row, scrolling it into view first."""
    hit = _tap(p, element_id)
    if hit:
        return hit
    return Scroll(direction="down", amount=3)


# -- templates -------------------------------------------------------------------------------------------
@dataclass
class Template:
    name: str
    patterns: list[str]  # regexes with named groups, matched on the lower-cased text
    wordings: list[str]  # for sampling (train)
    held_out: list[str]  # for sampling (evaluation only)
    params: Callable[[random.Random], dict[str, str]]
    check: Callable[[State, dict[str, str]], bool]
    plan: Callable[[Phone, dict[str, str]], Action]
    canonical_start: str = "home"
    normalise: Callable[[dict[str, str]], dict[str, str] | None] = lambda d: d
    #: the training grammar's wordings (``GRAMMAR``, without the held-out ones)
    grammar: list[str] = field(default_factory=list)
    #: open values from a pool (``pools``), for the ``train`` and ``novel`` splits; None: the
    #: task's values are a closed set (apps, settings, tabs, senders) and ``params`` draws them
    values: Callable[[random.Random, str], dict[str, str]] | None = None


def _email_index(name: str) -> int | None:
    n = name.lower().strip()
    for i, m in enumerate(C.EMAILS):
        if n in (m["sender"].lower(), m["sender"].split()[0].lower(), m["address"]):
            return i
    return None


def _app_pkg(name: str, installed: list[str] | None = None) -> str | None:
    return C.package_of(re.sub(r"^(the )|( app)$", "", name.strip(), flags=re.I), installed)


def _web_plan(p: Phone, a: dict[str, str]) -> Action:
    return _search(p, "com.android.chrome", "chrome.url", "chrome.results", "chrome_query",
                   a["query"])


def _maps_plan(p: Phone, a: dict[str, str]) -> Action:
    return _search(p, "com.google.android.apps.maps", "maps.search", "maps.results",
                   "maps_query", a["query"])


def _store_search_plan(p: Phone, a: dict[str, str]) -> Action:
    return _search(p, "com.android.vending", "store.search", "store.results", "store_query",
                   a["app"])


def _install_plan(p: Phone, a: dict[str, str]) -> Action:
    pkg = C.STORE_APPS[a["app"]][0]
    if pkg in p.state.installed:
        return Terminate(status="success")
    hit = _tap(p, f"install:{pkg}") if p.state.screen == "store.results" else None
    if hit and p.state.focus is None:
        return hit
    return _store_search_plan(p, a)


def _open_email_plan(p: Phone, a: dict[str, str]) -> Action:
    s = p.state
    i = int(a["index"])
    step = _go_app(p, "com.google.android.gm")
    if step:
        return step
    if s.screen == "gmail.email" and s.detail == i:
        return Terminate(status="success")
    if s.screen != "gmail.inbox":
        return Button(name="back")
    return _find_row(p, f"email:{i}")


def _send_plan(p: Phone, a: dict[str, str]) -> Action:
    s = p.state
    if _send_check(p.state.model_dump(), a):
        return Terminate(status="success")
    step = _go_app(p, "com.google.android.gm")
    if step:
        return step
    if s.screen == "gmail.inbox":
        return _tap(p, "compose") or Button(name="back")
    if s.screen != "gmail.compose":
        return Button(name="back")
    for fid, value in (("compose.to", a["to"]), ("compose.subject", a["subject"])):
        step = _fill(p, fid, value)
        if step:
            return step
    return _tap(p, "send") or Button(name="back")


def _send_check(s: State, a: dict[str, str]) -> bool:
    return any(m["to"].strip().lower() == a["to"].lower() and
               _n(m["subject"]) == _n(a["subject"]) for m in s["sent"])


def _toggle_plan(p: Phone, a: dict[str, str]) -> Action:
    s = p.state
    if _toggle_check(s.model_dump(), a):
        return Terminate(status="success")
    step = _go_app(p, "com.android.settings")
    if step:
        return step
    if s.screen != "settings.main":
        return Button(name="back")
    if s.focus:
        return Button(name="back")
    return _find_row(p, f"toggle:{a['flag']}")


def _toggle_check(s: State, a: dict[str, str]) -> bool:
    return bool(s[a["flag"]]) == (a["state"] == "on")


def _toggle_normalise(a: dict[str, str]) -> dict[str, str] | None:
    flag = SETTINGS.get(a["setting"].strip().lower())
    if flag is None:
        return None
    on = a["verb"] in ("turn on", "enable", "switch on")
    return {"flag": flag, "state": "on" if on else "off", "setting": SETTING_LABEL[flag],
            "verb": "turn on" if on else "turn off"}


def _open_app_plan(p: Phone, a: dict[str, str]) -> Action:
    return _go_app(p, a["package"]) or Terminate(status="success")


def _clock_plan(p: Phone, a: dict[str, str]) -> Action:
    s = p.state
    step = _go_app(p, "com.google.android.deskclock")
    if step:
        return step
    if s.clock_tab == a["tab"]:
        return Terminate(status="success")
    return _tap(p, f"tab:{a['tab']}") or Button(name="back")


def _drawer_plan(p: Phone, a: dict[str, str]) -> Action:
    s = p.state
    if s.screen == "drawer":
        return Terminate(status="success")
    if s.screen == "home":
        return Swipe(x1=540, y1=1750, x2=540, y2=700, duration_ms=300)
    return Button(name="home")


def _home_plan(p: Phone, a: dict[str, str]) -> Action:
    return Terminate(status="success") if p.state.screen == "home" else Button(name="home")


def _pick(rng: random.Random, items: list[str]) -> str:
    return items[rng.randrange(len(items))]


def _email_params(rng: random.Random) -> dict[str, str]:
    i = rng.randrange(len(C.EMAILS))
    name = C.EMAILS[i]["sender"].split()[0]
    return {"name": name, "index": str(i)}


SUBJECTS = ["Lunch", "Meeting notes", "Dinner on Friday", "Project update", "Hello",
            "Weekend plans", "Tickets", "Quick question"]

TEMPLATES: list[Template] = [
    Template(
        "maps_search",
        [r"^(?:find|search for|search|look up|show me|show)\s+(?P<query>.+?)\s+(?:on|in|using|with)"
         r"\s+(?:google\s+)?maps$",
         r"^(?:search|look in)\s+(?:google\s+)?maps\s+for\s+(?P<query>.+)$",
         r"^open\s+(?:google\s+)?maps\s+and\s+(?:search for|find|look up)\s+(?P<query>.+)$",
         r"^use\s+(?:google\s+)?maps\s+to\s+(?:search for|find|look up)\s+(?P<query>.+)$"],
        ["find {query} on Maps", "search Maps for {query}", "look up {query} in Google Maps",
         "open Maps and search for {query}"],
        ["show me {query} in Google Maps", "use Google Maps to find {query}"],
        lambda r: {"query": _pick(r, MAPS_QUERIES)},
        lambda s, a: s["app"] == "com.google.android.apps.maps" and s["screen"] ==
        "maps.results" and _n(s["maps_query"]) == _n(a["query"]),
        _maps_plan),
    Template(
        "store_search",
        [r"^(?:search|look in)\s+(?:the\s+)?(?:play store|google play)\s+for\s+(?P<app>.+)$",
         r"^(?:find|look up)\s+(?P<app>.+?)\s+(?:on|in)\s+(?:the\s+)?(?:play store|google play)$"],
        ["search the Play Store for {app}", "look up {app} in the Play Store"],
        ["find {app} on Google Play"],
        lambda r: {"app": _pick(r, list(C.STORE_APPS))},
        lambda s, a: s["app"] == "com.android.vending" and s["screen"] == "store.results" and
        _n(s["store_query"]) == _n(a["app"]),
        _store_search_plan, normalise=lambda a: _store_app(a) or _any_app(a)),
    Template(
        "install",
        [r"^(?:install|download|get)\s+(?P<app>.+?)(?:\s+(?:from|on)\s+(?:the\s+)?"
         r"(?:play store|google play))?$"],
        ["install {app} from the Play Store", "install {app}", "download {app} from Google Play"],
        ["get the {app} app from the Play Store"],
        lambda r: {"app": _pick(r, list(C.STORE_APPS))},
        lambda s, a: C.STORE_APPS[a["app"]][0] in s["installed"],
        _install_plan, normalise=lambda a: _store_app(a)),
    Template(
        "send_email",
        [r"^(?:send an? email|send a message|email|write an email)\s+(?:to\s+)?"
         r"(?P<to>[\w.+-]+@[\w-]+\.[\w.]+)\s+(?:with\s+(?:the\s+)?subject|about|titled)\s+"
         r"(?P<subject>.+)$"],
        ["send an email to {to} with the subject {subject}", "email {to} about {subject}",
         "write an email to {to} with subject {subject}"],
        ["send a message to {to} titled {subject}"],
        lambda r: {"to": C.EMAILS[r.randrange(len(C.EMAILS))]["address"],
                   "subject": _pick(r, SUBJECTS)},
        _send_check, _send_plan, canonical_start="gmail.inbox"),
    Template(
        "open_email",
        [r"^(?:open|read|show me|show)\s+(?:the\s+)?(?:email|mail|message)\s+from\s+"
         r"(?P<name>[\w@.]+)$",
         r"^(?:open|read)\s+(?P<name>\w+)'s\s+(?:email|mail|message)$"],
        ["open the email from {name}", "read the email from {name}", "open {name}'s email"],
        ["show me the message from {name}"],
        _email_params,
        lambda s, a: s["app"] == "com.google.android.gm" and s["screen"] == "gmail.email" and
        s["detail"] == int(a["index"]),
        _open_email_plan, normalise=lambda a: _email_norm(a)),
    Template(
        "toggle",
        [r"^(?P<verb>turn on|turn off|enable|disable|switch on|switch off)\s+(?:the\s+)?"
         r"(?P<setting>wi-?\s?fi|bluetooth|dark theme|dark mode|airplane mode|flight mode)"
         r"(?:\s+in\s+(?:the\s+)?settings(?:\s+app)?)?$",
         r"^(?P<verb>turn|switch)\s+(?:the\s+)?(?P<setting>wi-?\s?fi|bluetooth|dark theme|"
         r"dark mode|airplane mode|flight mode)\s+(?P<state>on|off)$"],
        ["{verb} {setting}", "{verb} {setting} in Settings"],
        ["please {verb} {setting}"],
        lambda r: {"verb": _pick(r, ["turn on", "turn off"]),
                   "setting": _pick(r, ["Wi-Fi", "Bluetooth", "dark theme", "airplane mode"])},
        _toggle_check, _toggle_plan, canonical_start="home",
        normalise=lambda a: _toggle_normalise(
            {**a, "verb": f"{a['verb']} {a['state']}" if a.get("state") else a["verb"]})),
    Template(
        "clock_tab",
        [r"^(?:open|show|go to)\s+(?:the\s+)?(?P<tab>alarm|timer|stopwatch)s?"
         r"(?:\s+(?:tab\s+)?in\s+(?:the\s+)?clock(?:\s+app)?)?$"],
        ["open the {tab} in the Clock app", "show the {tab}", "go to the {tab} in Clock"],
        ["open the {tab} tab in Clock"],
        lambda r: {"tab": _pick(r, ["alarm", "timer", "stopwatch"])},
        lambda s, a: s["app"] == "com.google.android.deskclock" and s["clock_tab"] == a["tab"],
        _clock_plan),
    Template(
        "drawer",
        [r"^(?:open|show)\s+(?:the\s+)?(?:app drawer|all apps|list of apps)$"],
        ["open the app drawer", "show all apps"], ["show the list of apps"],
        lambda r: {},
        lambda s, a: s["screen"] == "drawer", _drawer_plan, canonical_start="gmail.email"),
    Template(
        "home",
        [r"^(?:go|return|get)\s+(?:back\s+)?(?:to\s+)?(?:the\s+)?home(?:\s+screen)?$",
         r"^(?:press|tap)\s+home$"],
        ["go to the home screen", "go home", "return to the home screen"],
        ["get back to the home screen"],
        lambda r: {}, lambda s, a: s["screen"] == "home", _home_plan,
        canonical_start="gmail.email"),
    Template(
        "open_app",
        [r"^(?:open|launch|start|run)\s+(?:the\s+)?(?P<app>[\w ]+?)(?:\s+app)?$"],
        ["open the {app} app", "open {app}", "launch {app}"],
        ["start the {app} app"],
        lambda r: {"app": _pick(r, list(C.APPS))},
        lambda s, a: s["app"] == a["package"], _open_app_plan,
        canonical_start="gmail.email", normalise=lambda a: _app_norm(a)),
    Template(
        "web_search",
        [r"^(?:find|search for|search the web for|search|look up|google|show me)\s+"
         r"(?P<query>.+?)(?:\s+(?:on|in|using|with)\s+(?:chrome|the browser|google))?$",
         r"^use chrome to (?:search for|find|look up)\s+(?P<query>.+)$",
         r"^(?:what'?s|what is)\s+(?P<query>.+)$"],
        ["find {query}", "search for {query}", "look up {query}", "search the web for {query}",
         "use Chrome to search for {query}", "google {query}"],
        ["show me {query}", "find {query} in Chrome"],
        lambda r: {"query": _pick(r, WEB_QUERIES)},
        lambda s, a: s["app"] == "com.android.chrome" and s["screen"] == "chrome.results" and
        _n(s["chrome_query"]) == _n(a["query"]),
        _web_plan, canonical_start="gmail.email"),
]


def _store_app(a: dict[str, str]) -> dict[str, str] | None:
    name = re.sub(r"^(the )|( app)$", "", a["app"].strip())
    for label in C.STORE_APPS:
        if label.lower() == name.lower():
            return {"app": label}
    return None


def _any_app(a: dict[str, str]) -> dict[str, str]:
    """A Play Store search may name any app, one the store does not have included."""
    return {"app": re.sub(r"^(the )|( app)$", "", a["app"].strip(), flags=re.I)}


def _email_norm(a: dict[str, str]) -> dict[str, str] | None:
    i = _email_index(a["name"]) if "index" not in a else int(a["index"])
    if i is None:
        return None
    return {"name": C.EMAILS[i]["sender"].split()[0], "index": str(i)}


def _app_norm(a: dict[str, str]) -> dict[str, str] | None:
    pkg = _app_pkg(a["app"])
    if pkg is None:
        return None
    return {"app": C.label_of(pkg), "package": pkg}


# -- instances ---------------------------------------------------------------------------------------------
@dataclass
class TaskInstance:
    text: str
    template: Template
    params: dict[str, str]
    start: State = field(default_factory=dict)

    def check(self, state: State) -> bool:
        return bool(self.template.check(state, self.params))

    def plan(self, state: State) -> Action:
        phone = Phone(PhoneState.model_validate(state))
        if phone.state.dialog is not None and not self.check(state):
            return _tap(phone, "dialog:0") or Button(name="back")  # dismiss the pop-up first
        return self.template.plan(phone, self.params)


def match(text: str) -> tuple[Template, dict[str, str]] | None:
    """The template and parameters a task text asks for, or None."""
    t = re.sub(r"\s+", " ", text.strip()).rstrip(".!?")
    t = re.sub(r"^(?:please|can you|could you)\s+|\s+(?:for me|please)$", "", t, flags=re.I)
    for tpl in TEMPLATES:
        for pattern in tpl.patterns:
            m = re.match(pattern, t, flags=re.I)
            if m:
                params = tpl.normalise({k: v for k, v in m.groupdict().items() if v})
                if params is not None:
                    return tpl, params
    return None


def resolve(text: str, seed: int | None = None, randomize: bool = True) -> TaskInstance | None:
    found = match(text)
    if found is None:
        return None
    tpl, params = found
    start = start_state(tpl, params, random.Random(seed) if seed is not None and randomize
                        else None)
    return TaskInstance(text=text, template=tpl, params=params, start=start)


def encode_state(state: State) -> str:
    return base64.b64encode(json.dumps(state).encode()).decode()


def package_for_label(label: str, packages: list[str]) -> str | None:
    pkg = C.package_of(label, [p for p in packages])
    return pkg if pkg in packages else None


# -- start states ------------------------------------------------------------------------------------------
STARTS = ["home", "home", "drawer", "gmail.inbox", "gmail.email", "chrome", "maps", "settings",
          "clock", "store", "keyboard"]


def start_state(tpl: Template, params: dict[str, str], rng: random.Random | None) -> State:
    """The phone's state at the start of an episode (canonical when ``rng`` is None)."""
    s = PhoneState()
    p = Phone(s)
    kind = tpl.canonical_start
    if rng is not None:
        s.wallpaper = rng.randrange(4)
        s.dark_theme = rng.random() < 0.2
        s.wifi = rng.random() < 0.8
        s.bluetooth = rng.random() < 0.4
        apps = list(C.HOME_APPS)
        rng.shuffle(apps)
        drop = rng.choice([0, 0, 1, 2])  # sometimes an app lives only in the drawer
        s.home_apps = apps[:len(apps) - drop]
        s.inbox = rng.sample(range(len(C.EMAILS)), len(C.EMAILS))
        if rng.random() < 0.3:
            s.installed = [C.STORE_APPS[rng.choice(["WhatsApp", "Uber", "Yelp"])][0]]
        kind = rng.choice(STARTS)
        if rng.random() < 0.25:
            s.dialog = rng.choice(sorted(DIALOGS))
    if tpl.name == "toggle":  # start from the opposite setting so the task has something to do
        setattr(s, params["flag"], params["state"] != "on")
        if params["flag"] == "airplane" or s.airplane:
            s.airplane = params["flag"] == "airplane" and params["state"] != "on"
    if tpl.name == "install":
        s.installed = [x for x in s.installed if x != C.STORE_APPS[params["app"]][0]]
    distract = rng or random.Random(0)
    if kind == "drawer":
        p._go(C.LAUNCHER, "drawer")
    elif kind in ("gmail.inbox", "gmail.email"):
        p.launch("com.google.android.gm")
        if kind == "gmail.email":
            i = 0 if rng is None else rng.randrange(len(C.EMAILS))
            p._go("com.google.android.gm", "gmail.email", i)
    elif kind == "chrome":
        other = [q for q in WEB_QUERIES if _n(q) != _n(params.get("query", ""))]
        q = distract.choice(other)
        p.launch("com.android.chrome")
        s.fields["chrome.url"] = q
        p.submit("chrome.url")
    elif kind == "maps":
        other = [q for q in MAPS_QUERIES if _n(q) != _n(params.get("query", ""))]
        q = distract.choice(other)
        p.launch("com.google.android.apps.maps")
        s.fields["maps.search"] = q
        p.submit("maps.search")
    elif kind == "settings":
        p.launch("com.android.settings")
    elif kind == "clock":
        p.launch("com.google.android.deskclock")
        s.clock_tab = distract.choice(CLOCK_TABS)
    elif kind == "store":
        p.launch("com.android.vending")
    elif kind == "keyboard":
        p.launch("com.android.chrome")
        s.fields["chrome.url"] = distract.choice(["pizz", "weather", "San"])
        s.focus = "chrome.url"
    if tpl.name == "clock_tab" and s.clock_tab == params["tab"]:
        s.clock_tab = "clock"
    s.events = []
    s.toast = ""
    return s.model_dump(mode="json")


# -- the training grammar ------------------------------------------------------------------------------------
def _expand(*slots: list[str]) -> list[str]:
    """Every sentence made of one choice per slot ("" is a choice: the slot left out)."""
    out = [""]
    for slot in slots:
        out = [a + b for a in out for b in slot]
    return [re.sub(r"\s+", " ", w).strip() for w in out]


_MAPS = [" Maps", " Google Maps"]
_STORE = [" the Play Store", " Google Play"]
#: Training wordings per template: every combination of the slots, minus the template's held-out
#: wordings (exact sentences), so a held-out sentence is never seen whole in training though
#: its words are (a model learns "message" from "send a message … about …" and "titled" from
#: "send an email … titled …"; the held-out "send a message … titled …" stays new).
GRAMMAR: dict[str, list[list[str]]] = {
    "web_search": [
        *[[v, [" {query}"], ["", " in Chrome", " on Google", " using Chrome", " with the browser",
                             " on Chrome", " in the browser"]]
          for v in (["find", "search for", "look up", "search the web for", "google", "show me",
                     "search"],)],
        [["use Chrome to"], [" search for", " find", " look up"], [" {query}"]]],
    "maps_search": [
        [["find", "search for", "look up", "show me", "show", "search"], [" {query}"],
         [" on", " in", " using"], _MAPS],
        [["search", "look in"], _MAPS, [" for {query}"]],
        [["open"], _MAPS, [" and"], [" search for", " find", " look up"], [" {query}"]],
        [["use"], _MAPS, [" to"], [" search for", " find", " look up"], [" {query}"]]],
    "store_search": [
        [["search", "look in"], _STORE, [" for {app}"]],
        [["find", "look up"], [" {app}"], [" on", " in"], _STORE]],
    "install": [
        [["install", "download", "get"], [" {app}", " the {app} app"],
         ["", " from the Play Store", " from Google Play", " on the Play Store",
          " on Google Play"]]],
    "send_email": [
        [["send an email to", "send a message to", "write an email to", "email", "email to"],
         [" {to}"], [" with the subject", " with subject", " about", " titled"], [" {subject}"]]],
    "open_email": [
        [["open", "read", "show me", "show"], [" the email", " the mail", " the message",
                                               " email", " mail"], [" from {name}"]],
        [["open", "read"], [" {sender}'s"], [" email", " mail", " message"]]],
    "toggle": [
        [["{verb} {setting}", "{verb} the {setting}"],
         ["", " in Settings", " in the Settings app", " in settings"]],
        [["{turn} {setting} {state}", "{turn} the {setting} {state}"]]],
    "clock_tab": [
        [["open", "show", "go to"], [" the {tab}", " {tab}"],
         ["", " in the Clock app", " in Clock", " in the Clock", " tab in the Clock app",
          " tab in Clock"]]],
    "drawer": [[["open", "show"], [" the app drawer", " app drawer", " all apps",
                                   " the list of apps", " list of apps"]]],
    "home": [[["go", "return", "get"], ["", " back"], [" to the home screen", " home",
                                                       " to home", " to the home"]],
             [["press", "tap"], [" home"]]],
    "open_app": [[["open", "launch", "start", "run"], [" {app}", " the {app} app",
                                                       " the {app}", " {app} app"]]],
}


def _grammar(tpl: Template) -> list[str]:
    held = {w.lower() for w in tpl.held_out}
    return [w for slots in GRAMMAR[tpl.name] for w in _expand(*slots)
            if w.lower() not in held and w.replace("{", "").strip()]


def _toggle_values(rng: random.Random, pool: str) -> dict[str, str]:
    on = rng.random() < 0.5
    setting = _pick(rng, ["Wi-Fi", "wifi", "Bluetooth", "dark theme", "dark mode",
                          "airplane mode", "flight mode"])
    return {"verb": _pick(rng, ["turn on", "enable", "switch on"] if on else
                          ["turn off", "disable", "switch off"]),
            "setting": setting, "turn": _pick(rng, ["turn", "switch"]),
            "state": "on" if on else "off"}


def _open_email_values(rng: random.Random, pool: str) -> dict[str, str]:
    i = rng.randrange(len(C.EMAILS))
    name = C.EMAILS[i]["sender"].split()[0]
    return {"name": C.EMAILS[i]["address"] if rng.random() < 0.25 else name, "sender": name,
            "index": str(i)}


def _store_values(rng: random.Random, pool: str) -> dict[str, str]:
    # a made-up name half the time: the search itself only needs the name copied
    if pool == "novel" or rng.random() < 0.5:
        return {"app": P.app_name(rng, pool)}
    return {"app": _pick(rng, list(C.STORE_APPS))}


#: Templates whose values come from the pools (the ``novel`` split draws only these: the other
#: templates' values — apps, settings, tabs, senders — are a closed set the phone knows).
OPEN_VALUES: dict[str, Callable[[random.Random, str], dict[str, str]]] = {
    "web_search": lambda r, pool: {"query": P.web_query(r, pool)},
    "maps_search": lambda r, pool: {"query": P.maps_query(r, pool)},
    "send_email": lambda r, pool: {"to": P.email_address(r, pool), "subject": P.subject(r, pool)},
    "store_search": _store_values,
}
_CLOSED_VALUES: dict[str, Callable[[random.Random, str], dict[str, str]]] = {
    "toggle": _toggle_values, "open_email": _open_email_values,
}
#: How often each template is drawn in the ``train`` split: copying values is what is hard, so
#: the templates with free text come more often.
TRAIN_WEIGHTS = {"web_search": 3, "maps_search": 2, "send_email": 3, "store_search": 2,
                 "open_email": 2, "install": 1, "toggle": 1, "clock_tab": 1, "drawer": 1,
                 "home": 1, "open_app": 1}
#: Episode seeds per split, from disjoint ranges.
SEED_BASE = {"train-v1": 0, "train": 0, "held_out": 10**6, "novel": 2 * 10**6}
SPLITS = tuple(SEED_BASE)

for _tpl in TEMPLATES:
    _tpl.grammar = _grammar(_tpl)
    _tpl.values = OPEN_VALUES.get(_tpl.name) or _CLOSED_VALUES.get(_tpl.name)


# -- sampling (training data) -------------------------------------------------------------------------------
def sample(rng: random.Random, split: str = "train") -> tuple[str, int]:
    """A task text and an episode seed, a function of ``rng``'s state.

    - ``train``: a training-grammar wording with values from the ``train`` pools;
    - ``novel``: the same grammar, values from the disjoint ``novel`` pools (only the templates
      with open values), seeds from their own range: is the model copying or remembering?
    - ``held_out``: the held-out wordings with the original small value lists, seeds from a
      range training never uses (the benchmark since the first bundled model);
    - ``train-v1``: the first training wordings and value lists (the data of the bundled
      model's first two training rounds, kept so ``make train-tiny`` reproduces them).
    """
    if split not in SEED_BASE:
        raise ValueError(f"unknown split {split!r}; one of {', '.join(SPLITS)}")
    if split in ("train-v1", "held_out"):
        tpl = TEMPLATES[rng.randrange(len(TEMPLATES))]
        raw = tpl.params(rng)
        wordings = tpl.wordings if split == "train-v1" else tpl.held_out
    else:
        names = [t for t in TEMPLATES if split == "train" or t.name in OPEN_VALUES]
        weights = [TRAIN_WEIGHTS[t.name] if split == "train" else 1 for t in names]
        tpl = rng.choices(names, weights)[0]
        raw = tpl.values(rng, "novel" if split == "novel" else "train") if tpl.values \
            else tpl.params(rng)
        wordings = tpl.grammar
    text = _pick(rng, wordings).format(**raw)
    text = text[0].upper() + text[1:] if rng.random() < 0.3 else text
    seed = rng.randrange(0, 10**6) + SEED_BASE[split]
    return text, seed
