"""What the simulated phone's apps show: apps, emails, search results, places, store entries.

All of it is made up for the simulator (names of places are invented); nothing is fetched.
"""

from __future__ import annotations

import hashlib
import re

LAUNCHER = "com.google.android.apps.nexuslauncher"

# label -> (package, colour, glyph)
APPS: dict[str, tuple[str, tuple[int, int, int], str]] = {
    "Calculator": ("com.google.android.calculator", (90, 110, 130), "="),
    "Calendar": ("com.google.android.calendar", (66, 133, 244), "31"),
    "Camera": ("com.android.camera2", (60, 60, 70), "◉"),
    "Chrome": ("com.android.chrome", (219, 68, 55), "C"),
    "Clock": ("com.google.android.deskclock", (40, 80, 160), "◷"),
    "Contacts": ("com.google.android.contacts", (30, 136, 229), "☺"),
    "Files": ("com.google.android.apps.nbu.files", (52, 168, 83), "F"),
    "Gmail": ("com.google.android.gm", (234, 67, 53), "M"),
    "Maps": ("com.google.android.apps.maps", (15, 157, 88), "⚑"),
    "Messages": ("com.google.android.apps.messaging", (26, 115, 232), "✉"),
    "Phone": ("com.google.android.dialer", (30, 142, 62), "✆"),
    "Photos": ("com.google.android.apps.photos", (251, 188, 5), "✿"),
    "Play Store": ("com.android.vending", (1, 135, 95), "▶"),
    "Settings": ("com.android.settings", (95, 99, 104), "⚙"),
    "YouTube": ("com.google.android.youtube", (255, 0, 0), "▷"),
}
# Apps the Play Store can install (label -> package, colour, glyph).
STORE_APPS: dict[str, tuple[str, tuple[int, int, int], str]] = {
    "Spotify": ("com.spotify.music", (30, 215, 96), "≋"),
    "WhatsApp": ("com.whatsapp", (37, 211, 102), "✆"),
    "Duolingo": ("com.duolingo", (88, 204, 2), "D"),
    "Uber": ("com.ubercab", (0, 0, 0), "U"),
    "Yelp": ("com.yelp.android", (211, 35, 35), "Y"),
}
OTHER_PACKAGES = ["android", "com.android.systemui", "com.android.shell", LAUNCHER,
                  "com.google.android.inputmethod.latin", "com.android.adbkeyboard"]
HOME_APPS = ["Chrome", "Maps", "Gmail", "Settings", "Clock", "Play Store", "Photos", "Camera"]


def package_of(label_or_package: str, extra: list[str] | None = None) -> str | None:
    """The package of an app named by label (any case) or by package."""
    name = label_or_package.strip()
    table = {**APPS, **{k: v for k, v in STORE_APPS.items() if v[0] in (extra or [])}}
    for label, (pkg, _, _) in table.items():
        if name.lower() in (label.lower(), pkg.lower()):
            return pkg
    return None


def label_of(package: str) -> str:
    for label, (pkg, _, _) in {**APPS, **STORE_APPS}.items():
        if pkg == package:
            return label
    return package


def app_style(package: str) -> tuple[tuple[int, int, int], str]:
    for _, (pkg, colour, glyph) in {**APPS, **STORE_APPS}.items():
        if pkg == package:
            return colour, glyph
    return (120, 120, 120), "?"


# -- mail -----------------------------------------------------------------------------------------
EMAILS: list[dict[str, str]] = [
    {"sender": "Alice Chen", "address": "alice@example.com", "subject": "Trip to San Diego",
     "body": "Hi! I land on Friday. Could you find us a good place to eat downtown?"},
    {"sender": "Bob Martinez", "address": "bob@example.com", "subject": "Lunch on Thursday?",
     "body": "Are you free for lunch this Thursday? Pizza maybe."},
    {"sender": "Carol Singh", "address": "carol@example.com", "subject": "Slides for Monday",
     "body": "Attached are the slides. Let me know what you think."},
    {"sender": "Dan Okafor", "address": "dan@example.com", "subject": "Coffee in Seattle",
     "body": "I'll be in Seattle next week, any coffee recommendations?"},
    {"sender": "Eve Novak", "address": "eve@example.com", "subject": "Weekend weather",
     "body": "Is it going to rain in Paris this weekend?"},
    {"sender": "Frank Ito", "address": "frank@example.com", "subject": "Invoice #4821",
     "body": "Please find the invoice for last month attached."},
    {"sender": "Grace Kim", "address": "grace@example.com", "subject": "Book club",
     "body": "Next book club meeting is on Wednesday at 7."},
]

# -- web and maps results ---------------------------------------------------------------------------
_CURATED: dict[str, list[tuple[str, str]]] = {
    "restaurants in san diego": [
        ("Harborline Fish House", "Seafood · Little Italy · ★ 4.6 · $$"),
        ("Casa del Sol Cantina", "Mexican · Old Town · ★ 4.5 · $$"),
        ("The Gaslamp Grill", "Steakhouse · Gaslamp Quarter · ★ 4.4 · $$$"),
        ("Pacific Taco Co.", "Tacos · Ocean Beach · ★ 4.7 · $"),
        ("Balboa Garden Bistro", "Californian · Balboa Park · ★ 4.3 · $$"),
        ("Sunset Cliffs Sushi", "Japanese · Point Loma · ★ 4.5 · $$"),
        ("North Park Noodle Bar", "Ramen · North Park · ★ 4.4 · $"),
        ("La Jolla Cove Kitchen", "Seafood · La Jolla · ★ 4.6 · $$$"),
        ("Mission Hills Trattoria", "Italian · Mission Hills · ★ 4.5 · $$"),
        ("Convoy Street Dumplings", "Chinese · Kearny Mesa · ★ 4.6 · $"),
    ],
    "pizza near me": [
        ("Slice Republic", "Pizza · 0.3 mi · ★ 4.5 · Open until 11 PM"),
        ("Brick Oven Bros", "Pizza · 0.8 mi · ★ 4.6 · Open until 10 PM"),
        ("Mamma Lucia's", "Italian · 1.1 mi · ★ 4.4 · Open until 9 PM"),
        ("Crust & Co.", "Pizza · 1.4 mi · ★ 4.2 · Delivery"),
        ("Napoli Express", "Pizza · 2.0 mi · ★ 4.1 · Takeout"),
    ],
    "weather in paris": [
        ("Paris, France: 18°C, partly cloudy", "Weather · Today · High 21° Low 12°"),
        ("Paris 10-day forecast", "Weather service · Rain likely on Saturday"),
        ("Paris weather by hour", "Forecast · Wind 12 km/h · Humidity 64%"),
    ],
    "coffee shops in seattle": [
        ("Pike Street Roasters", "Coffee · Pike Place · ★ 4.7"),
        ("Rainy Day Espresso", "Café · Capitol Hill · ★ 4.6"),
        ("Sound View Coffee", "Coffee · Belltown · ★ 4.5"),
        ("Fremont Bean Lab", "Café · Fremont · ★ 4.4"),
        ("Emerald City Brew", "Coffee · Downtown · ★ 4.3"),
    ],
    "gas station": [
        ("QuickFuel", "Gas station · 0.4 mi · Open 24 hours"),
        ("Coastline Gas & Go", "Gas station · 0.9 mi · Open 24 hours"),
        ("Valley Petroleum", "Gas station · 1.6 mi · Closes 11 PM"),
    ],
}


def normalise(query: str) -> str:
    """Lower case, single spaces, no punctuation at the ends: how queries are compared."""
    q = re.sub(r"\s+", " ", query.strip().lower())
    return q.strip(" .?!,;:'\"")


def results(query: str) -> list[tuple[str, str]]:
    """Search results for a query: curated for the tasks' queries, generated for any other."""
    q = normalise(query)
    for key in (q, re.sub(r"^(the |nearest |a )", "", q)):
        if key in _CURATED:
            return _CURATED[key]
    if not q:
        return []
    h = int(hashlib.sha256(q.encode()).hexdigest(), 16)
    words = query.strip()
    kinds = ["Guide", "Reviews", "News", "Wikipedia", "Top 10", "Forum", "Video", "Map"]
    out = []
    for i in range(8):
        kind = kinds[(h >> (3 * i)) % len(kinds)]
        out.append((f"{words} — {kind}", f"www.{kind.lower().replace(' ', '')}.example · "
                                          f"{(h >> (5 * i)) % 900 + 100} results"))
    return out
