"""Parameter values for the phone tasks, composed from word lists and syllables.

A model trained on a dozen queries learns to type one it remembers whatever the task says:
memorising pays as well as copying. Here the values are composed (a noun from a list, a place
from real city names or made-up names built of syllables, an e-mail address from made-up first
and last names and a domain, a subject from an adjective and a noun), so no value repeats often
enough to be remembered and only copying the task's words pays.

Two pools, ``train`` and ``novel``, that share no value: the real-word lists are disjoint, and
the made-up names are split by a hash of the name (the same syllables, every letter seen in
training, but no name in both pools). ``vagent data generate phone-sim`` draws from ``train``;
``vagent eval phone-sim --split novel`` from ``novel``.
"""

from __future__ import annotations

import hashlib
import random
import re

POOLS = ("train", "novel")

# -- real words: one list per pool, disjoint ---------------------------------------------------------------
PLACE_NOUNS = {
    "train": ["restaurants", "pizza", "coffee shops", "hotels", "museums", "bookstores", "tacos",
              "hiking trails", "sushi", "bakeries", "parks", "libraries", "pharmacies", "gyms",
              "cinemas", "bars", "burgers", "ice cream", "thai food", "car rentals", "hostels",
              "beaches", "vegan food", "noodles", "breweries", "flower shops", "bike shops",
              "dentists", "pet stores", "farmers markets", "jazz clubs", "dim sum"],
    "novel": ["ramen", "florists", "aquariums", "bowling alleys", "tea houses", "bagels",
              "climbing gyms", "laundromats", "hardware stores", "art galleries", "food trucks",
              "barbers", "record stores", "steakhouses", "zoos", "waffles", "campsites",
              "toy stores", "dumplings", "wine bars", "skate parks", "bistros", "pho",
              "garden centers"],
}
CITIES = {
    "train": ["San Diego", "Paris", "Seattle", "Chicago", "Tokyo", "London", "Boston", "Austin",
              "Denver", "Los Angeles", "Portland", "Miami", "Berlin", "Madrid", "Rome", "Dublin",
              "Oslo", "Toronto", "Sydney", "Lima", "Cairo", "Dallas", "Houston", "Phoenix",
              "Atlanta", "Vienna", "Prague", "Lisbon", "Mumbai", "Seoul", "Nairobi", "Quebec"],
    "novel": ["Helsinki", "Kyoto", "Marseille", "Reno", "Tucson", "Bergen", "Porto", "Krakow",
              "Halifax", "Hobart", "Valencia", "Memphis", "Tulsa", "Geneva", "Bruges", "Gdansk",
              "Cusco", "Tampere", "Omaha", "Perth", "Zagreb", "Fresno", "Leeds", "Turin"],
}
QUERY_FORMS = ["{noun} in {place}", "{noun} in {place}", "{noun} near {place}",
               "{noun} near me", "weather in {place}", "flights to {place}", "{place} {noun}"]
MAPS_FORMS = ["{noun} in {place}", "{noun} in {place}", "{noun} near {place}", "{noun} near me",
              "{noun}"]
SUBJECT_WORDS = {
    "train": (["Quick", "Weekly", "Final", "New", "Budget", "Team", "Holiday", "Travel", "Late",
               "Draft", "Urgent", "Summer", "Morning", "Family", "Office", "Yearly"],
              ["lunch", "meeting notes", "update", "plans", "tickets", "question", "invoice",
               "report", "review", "party", "schedule", "photos", "dinner", "trip", "call",
               "agenda", "recipe", "contract"]),
    "novel": (["Revised", "Spring", "Monthly", "Private", "Early", "Second", "Short", "Annual",
               "Garden", "Nightly"],
              ["slides", "brunch", "checklist", "offer", "receipt", "playlist", "visit",
               "homework", "concert", "workshop", "survey", "results"]),
}
DAYS = {"train": ["Monday", "Friday", "Sunday", "Tuesday"],
        "novel": ["Wednesday", "Thursday", "Saturday"]}
DOMAINS = {"train": ["example.com", "mail.com", "post.org", "inbox.net", "corp.io", "home.net"],
           "novel": ["letters.org", "school.edu", "studio.net", "web.de"]}

# -- made-up names: the same syllables for both pools, split by a hash of the name ------------------------
_ONSETS = ["b", "br", "d", "f", "g", "k", "kr", "l", "m", "n", "p", "r", "s", "st", "t", "tr",
           "v", "z", "h", "j", "sh", "w", "c", "y"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ou", "ea", "y"]
_CODAS = ["", "", "", "n", "r", "l", "s", "m", "nd", "rt", "x", "q"]
_PLACE_ENDS = ["", "", "ton", "ville", "burg", "ford", "mouth", "dale"]
_PLACE_PREFIX = ["", "", "", "", "Port ", "Lake ", "New ", "East ", "San "]
_APP_ENDS = ["", "", "", " Go", " Pro", " Lite", " Plus", "ly", "io"]


def _pool_of(name: str) -> str:
    """Which pool a made-up name belongs to: one in five goes to ``novel``."""
    return "novel" if hashlib.sha256(name.lower().encode()).digest()[0] % 5 == 0 else "train"


def _syllables(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                   for _ in range(n))


def _made_up(rng: random.Random, pool: str, build) -> str:  # noqa: ANN001 - a small closure
    while True:
        name = build()
        if _pool_of(name) == pool:
            return name


def made_up_word(rng: random.Random, pool: str) -> str:
    """A capitalised made-up word of two or three syllables ("Kraimon")."""
    return _made_up(rng, pool, lambda: _syllables(rng, rng.choice([2, 2, 3])).capitalize())


def place(rng: random.Random, pool: str) -> str:
    """A city: a real one of the pool's list, or a made-up one ("Port Velandford")."""
    if rng.random() < 0.4:
        return rng.choice(CITIES[pool])
    return _made_up(rng, pool, lambda: rng.choice(_PLACE_PREFIX) +
                    (_syllables(rng, rng.choice([1, 2, 2])) + rng.choice(_PLACE_ENDS)).capitalize())


def web_query(rng: random.Random, pool: str) -> str:
    return rng.choice(QUERY_FORMS).format(noun=rng.choice(PLACE_NOUNS[pool]),
                                          place=place(rng, pool))


def maps_query(rng: random.Random, pool: str) -> str:
    return rng.choice(MAPS_FORMS).format(noun=rng.choice(PLACE_NOUNS[pool]),
                                         place=place(rng, pool))


def email_address(rng: random.Random, pool: str) -> str:
    """A made-up address ("kelo.brandi@post.org", "trau42@mail.com")."""
    first = _made_up(rng, pool, lambda: _syllables(rng, rng.choice([1, 2, 2])))
    last = _syllables(rng, rng.choice([1, 2]))
    local = rng.choice([f"{first}.{last}", first, f"{first}{rng.randrange(10, 100)}",
                        f"{first[0]}{last}"])
    return f"{local}@{rng.choice(DOMAINS[pool])}"


def subject(rng: random.Random, pool: str) -> str:
    adjs, nouns = SUBJECT_WORDS[pool]
    form = rng.choice(["{adj} {noun}", "{Noun} on {day}", "{adj} {noun} for {name}",
                       "{Noun}", "{Noun} with {name}"])
    noun = rng.choice(nouns)
    return form.format(adj=rng.choice(adjs), noun=noun, Noun=noun.capitalize(),
                       day=rng.choice(DAYS[pool]), name=made_up_word(rng, pool))


def app_name(rng: random.Random, pool: str) -> str:
    """A made-up app name for a Play Store search ("Zoumira Go")."""
    return _made_up(rng, pool, lambda: _syllables(rng, rng.choice([2, 2, 3])).capitalize() +
                    rng.choice(_APP_ENDS))


#: Words a value's shape keeps when ``same_shape`` remakes it: the task grammar's connectors.
KEPT_WORDS = frozenset({"in", "near", "to", "for", "with", "on", "me", "at", "of", "the", "and"})
_NOVEL_WORDS = frozenset(w.lower() for group in (PLACE_NOUNS["novel"], CITIES["novel"],
                                                 DAYS["novel"], *SUBJECT_WORDS["novel"])
                         for phrase in group for w in phrase.split())
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def copy_word(rng: random.Random, length: int) -> str:
    """A made-up lower-case word of about ``length`` letters for copy training: half syllables,
    half any letters (so every piece of the tokenizer's alphabet is copied some time); never a
    ``novel`` name or word, so the novel split stays unseen."""
    while True:
        if rng.random() < 0.5:
            word = _syllables(rng, max(1, round(length / 3)))
        else:
            word = "".join(rng.choice(_LETTERS) for _ in range(max(3, length)))
        if (len(word) >= 3 and word not in KEPT_WORDS and word not in _NOVEL_WORDS
                and _pool_of(word) == "train" and _pool_of(word.capitalize()) == "train"):
            return word


def same_shape(rng: random.Random, value: str) -> str:
    """``value`` with every word but the connectors remade ("bike shops in Quebec" →
    "krau vemsi in Tolbreq", "kelo.b@post.org" → "zdi.mofra@kalt.zun"): digits, punctuation,
    spaces and capitalisation stay, so the value keeps its kind while its words are new."""
    def remake(m: re.Match[str]) -> str:
        word = m.group(0)
        if word.lower() in KEPT_WORDS:
            return word
        new = copy_word(rng, len(word) + rng.randint(-2, 2))
        if word.isupper() and len(word) > 1:
            return new.upper()
        return new.capitalize() if word[0].isupper() else new

    return re.sub(r"[A-Za-z]+", remake, value)


__all__ = ["KEPT_WORDS", "POOLS", "app_name", "copy_word", "email_address", "made_up_word",
           "maps_query", "place", "same_shape", "subject", "web_query"]
