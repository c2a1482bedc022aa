"""The simulated phone's tasks: wordings resolve to the right template, sampling is reproducible
and keeps held-out wordings apart, randomised starts differ, and the oracle solves sampled
episodes (train and held-out wordings) over TCP."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vagent.envs.android import pools as P
from vagent.envs.android import tasks as T


@pytest.mark.parametrize("text,template,params", [
    ("find restaurants in San Diego", "web_search", {"query": "restaurants in San Diego"}),
    ("Search for pizza near me.", "web_search", {"query": "pizza near me"}),
    ("what's the weather in Paris", "web_search", {"query": "the weather in Paris"}),
    ("find coffee shops in Seattle on Maps", "maps_search", {"query": "coffee shops in Seattle"}),
    ("open the email from Alice", "open_email", {"name": "Alice", "index": "0"}),
    ("read Bob's email", "open_email", {"name": "Bob", "index": "1"}),
    ("please turn off Wi-Fi", "toggle", {"flag": "wifi", "state": "off", "setting": "Wi-Fi",
                                         "verb": "turn off"}),
    ("switch bluetooth on", "toggle", {"flag": "bluetooth", "state": "on",
                                       "setting": "Bluetooth", "verb": "turn on"}),
    ("install Spotify from the Play Store", "install", {"app": "Spotify"}),
    ("open the Play Store app", "open_app", {"app": "Play Store",
                                            "package": "com.android.vending"}),
    ("open the timer in the Clock app", "clock_tab", {"tab": "timer"}),
    ("send an email to bob@example.com with the subject Lunch", "send_email",
     {"to": "bob@example.com", "subject": "Lunch"}),
])
def test_wordings_resolve(text: str, template: str, params: dict) -> None:
    found = T.match(text)
    assert found is not None and found[0].name == template and found[1] == params


def test_unknown_tasks_do_not_resolve() -> None:
    assert T.match("open the email from Zed") is None
    assert T.match("install Minecraft") is None
    assert T.match("make me a sandwich") is None
    assert T.resolve("make me a sandwich") is None


def test_every_sampled_wording_resolves_and_splits_are_disjoint() -> None:
    rng = random.Random(3)
    for split in T.SPLITS:
        for _ in range(300):
            text, seed = T.sample(rng, split)
            assert T.match(text) is not None, text
            assert T.SEED_BASE[split] <= seed < T.SEED_BASE[split] + 10**6
    with pytest.raises(ValueError, match="unknown split"):
        T.sample(rng, "test")
    for tpl in T.TEMPLATES:
        assert not set(tpl.wordings) & set(tpl.held_out), tpl.name
    a = [T.sample(random.Random(5)) for _ in range(3)]
    b = [T.sample(random.Random(5)) for _ in range(3)]
    assert a == b


def test_random_starts_vary_and_canonical_start_is_fixed() -> None:
    starts = [T.resolve("find restaurants in San Diego", seed=s).start for s in range(30)]
    assert len({(s["screen"], tuple(s["home_apps"])) for s in starts}) > 10
    assert T.resolve("find restaurants in San Diego").start == \
        T.resolve("find restaurants in San Diego").start
    assert T.resolve("find restaurants in San Diego").start["screen"] == "gmail.email"
    # a toggle task never starts already done
    for s in range(20):
        inst = T.resolve("turn off Wi-Fi", seed=s)
        assert not inst.check(inst.start)


def test_oracle_solves_sampled_episodes_over_tcp(android_env) -> None:
    rng = random.Random(2024)
    for split in T.SPLITS:
        for _ in range(3):
            text, seed = T.sample(rng, split)
            android_env.reset(seed=seed, options={"task": text})
            for _ in range(25):
                _, reward, terminated, _, info = android_env.step(android_env.oracle_action())
                if terminated:
                    break
            assert terminated and info["success"] and reward == 1.0, (text, seed)


def test_unknown_task_has_no_oracle_or_check(android_env) -> None:
    _, info = android_env.reset(options={"task": "make me a sandwich"})
    assert info["task_known"] is False
    assert android_env.oracle_action() is None and android_env.success() is None


def test_pop_up_is_modal_and_the_oracle_dismisses_it(android_env, sim_phone) -> None:
    from vagent.envs.android.sim.phone import DIALOGS

    seed = next(s for s in range(200)
                if T.resolve("find restaurants in San Diego", seed=s).start["dialog"])
    android_env.reset(seed=seed, options={"task": "find restaurants in San Diego"})
    state = sim_phone.state()
    assert state["dialog"] in DIALOGS
    android_env.device.shell("input tap 540 300")  # outside the pop-up: swallowed
    assert sim_phone.state()["screen"] == state["screen"]
    assert sim_phone.state()["dialog"] == state["dialog"]
    first = android_env.oracle_action()
    assert first.action == "click" and 860 <= first.y <= 1500
    android_env.step(first)
    assert sim_phone.state()["dialog"] is None
    android_env.reset(seed=seed, options={"task": "find restaurants in San Diego"})
    android_env.device.shell("input keyevent 4")  # back closes it too
    assert sim_phone.state()["dialog"] is None


def test_grammar_wordings_parse_back_to_their_template_and_values() -> None:
    """Every training-grammar sentence, with values from either pool, resolves to the template
    it was written for and carries the very values drawn (else the oracle would solve another
    task than the text says)."""
    rng = random.Random(0)
    for tpl in T.TEMPLATES:
        assert len(tpl.grammar) >= 5, tpl.name
        for wording in tpl.grammar:
            for pool in ("train", "novel"):
                raw = tpl.values(rng, pool) if tpl.values else tpl.params(rng)
                found = T.match(wording.format(**raw))
                assert found is not None and found[0].name == tpl.name, (wording, raw)
                for key in ("query", "to", "subject", "app"):
                    if key in raw and tpl.name != "install":
                        assert T._n(found[1][key]) == T._n(raw[key]), (wording, raw, found[1])


def test_held_out_sentences_never_in_the_training_grammar() -> None:
    grammar = {w.lower() for tpl in T.TEMPLATES for w in tpl.grammar + tpl.wordings}
    held = {w.lower() for tpl in T.TEMPLATES for w in tpl.held_out}
    assert held and not grammar & held


def _values(split: str, n: int) -> set[str]:
    rng = random.Random(11)
    out: set[str] = set()
    for _ in range(n):
        found = T.match(T.sample(rng, split)[0])
        assert found is not None
        out |= {T._n(v) for k, v in found[1].items() if k in ("query", "to", "subject", "app")}
    return out


def test_novel_values_never_appear_in_training() -> None:
    """The novel split's queries, addresses, subjects and app names come from pools disjoint
    from the training pools, and its tasks are only the ones with open values."""
    train, novel = _values("train", 3000), _values("novel", 1000)
    assert len(novel) > 900  # composed: almost no value repeats
    assert not train & novel, sorted(train & novel)[:5]
    rng = random.Random(4)
    names = {T.match(T.sample(rng, "novel")[0])[0].name for _ in range(200)}
    assert names == set(T.OPEN_VALUES)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("abcXYZ .@-_0189"), max_size=40),
       st.integers(0, 2**32 - 1))
def test_same_shape_keeps_a_value_s_form_and_never_draws_a_novel_word(value: str,
                                                                       seed: int) -> None:
    """Copy training's remade values: digits, punctuation, spaces, connectors and capitals stay;
    every other word is new, at least 3 letters, and never one of the novel split's words."""
    new = P.same_shape(random.Random(seed), value)
    runs = re.compile(r"[A-Za-z]+")
    assert runs.sub("", new) == runs.sub("", value)
    old_words, new_words = runs.findall(value), runs.findall(new)
    assert len(old_words) == len(new_words)
    for old, word in zip(old_words, new_words):
        if old.lower() in P.KEPT_WORDS:
            assert word == old
            continue
        assert len(word) >= 3 and word[0].isupper() == old[0].isupper()
        assert word.lower() not in P._NOVEL_WORDS and P._pool_of(word) == "train"


def test_training_values_rarely_repeat() -> None:
    """Memorising cannot pay: in 2,000 training tasks with free text, few values come twice."""
    rng = random.Random(12)
    seen: list[str] = []
    for _ in range(2000):
        tpl, params = T.match(T.sample(rng, "train")[0])
        if tpl.name in ("web_search", "maps_search", "send_email"):
            seen += [T._n(params[k]) for k in ("query", "to", "subject") if k in params]
    assert len(set(seen)) > 0.8 * len(seen)


def test_train_v1_is_the_first_bundled_rounds_data() -> None:
    """``train-v1`` must keep drawing exactly what the first training rounds were made of (the
    ``make train-tiny`` recipe replays them): the first tasks of data seed 0, as recorded."""
    rng = random.Random(0)
    assert [T.sample(rng, "train-v1") for _ in range(3)] == [
        ("Open the timer in the Clock app", 536110), ("show all apps", 870163),
        ("read the email from Dan", 952225)]
