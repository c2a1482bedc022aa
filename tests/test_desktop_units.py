"""Desktop pieces that need no X server: key names, the deny list, the confirm prompt, and the
screenshot ↔ logical mapping (including a simulated HiDPI scale factor)."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vagent.actions import ActionError, ScreenMap
from vagent.envs.desktop.env import DesktopConfig
from vagent.envs.desktop.keys import normalize, to_pyautogui
from vagent.envs.desktop.safety import DEFAULT_DENY, Confirmer, DenyList
from vagent.envs.desktop.xvfb import parse_size


@pytest.mark.parametrize("keys, want", [
    (["Control", "c"], ["ctrl", "c"]),
    (["ctrl+shift+T"], ["ctrl", "shift", "t"]),
    (["cmd", "l"], ["super", "l"]),
    (["win"], ["super"]),
    (["Meta", "space"], ["super", "space"]),
    (["Return"], ["enter"]),
    (["ENTER"], ["enter"]),
    (["Escape"], ["esc"]),
    (["esc"], ["esc"]),
    (["c", "ctrl"], ["ctrl", "c"]),  # modifiers are held first whatever the order given
    (["alt", "ctrl", "Del"], ["ctrl", "alt", "delete"]),
    (["ctrl++"], ["ctrl", "+"]),
    (["+"], ["+"]),
    (["PgDn"], ["pagedown"]),
    (["Page_Up"], ["pageup"]),
    (["option", "F4"], ["alt", "f4"]),
    ([" "], ["space"]),
    (["ctrl", "control", "c"], ["ctrl", "c"]),
    (["ctrl shift t"], ["ctrl", "shift", "t"]),  # UI-TARS' hotkey spelling
    (["page down"], ["pagedown"]),
])
def test_key_names_normalise(keys: list[str], want: list[str]) -> None:
    assert normalize(keys) == want


def test_super_is_the_windows_key_for_pyautogui_on_x11() -> None:
    assert to_pyautogui(["super", "enter", "menu"]) in (["win", "enter", "apps"],
                                                       ["command", "enter", "apps"])


@pytest.mark.parametrize("bad", ["hyperdrive", "é", "\x07", ""])
def test_unknown_keys_are_refused_with_a_hint(bad: str) -> None:
    with pytest.raises(ActionError, match="key|type"):
        normalize([bad])


def test_deny_list_defaults_extend_replace_and_match_supersets() -> None:
    d = DenyList()
    assert list(d) == list(DEFAULT_DENY)
    assert d.match(["Control", "Alt", "Del"]) == "ctrl+alt+delete"
    assert d.match(["ctrl", "alt", "shift", "delete"]) == "ctrl+alt+delete"
    assert d.match(["cmd", "L"]) == "super+l"
    assert d.match(["ctrl", "l"]) is None
    more = DenyList("default, ctrl+q")
    assert more.match(["ctrl", "q"]) == "ctrl+q" and more.match(["super", "l"]) == "super+l"
    only = DenyList(["ctrl+q"])
    assert only.match(["super", "l"]) is None
    none = DenyList("")
    assert none.match(["ctrl", "alt", "delete"]) is None
    none.add("alt+f4")
    assert none.match(["alt", "F4"]) == "alt+f4"
    none.remove("ALT+F4")
    assert none.match(["alt", "F4"]) is None


def test_confirmer_reads_answers_and_stops_at_end_of_input() -> None:
    out = io.StringIO()
    c = Confirmer(io.StringIO("y\nmaybe\nn\n\nq\n"), out)
    assert [c.ask("click") for _ in range(4)] == ["yes", "no", "no", "quit"]
    assert "answer y" in out.getvalue() and out.getvalue().count("do it?") == 5
    assert Confirmer(io.StringIO(""), io.StringIO()).ask("click") == "quit"


def test_screen_map_identity_region_and_hidpi() -> None:
    same = ScreenMap(image=(1280, 800), area=(0, 0, 1280, 800))
    assert same.to_logical(0, 0) == (0, 0) and same.to_logical(1279, 799) == (1279, 799)
    region = ScreenMap(image=(400, 300), area=(100, 50, 400, 300))
    assert region.to_logical(10, 20) == (110, 70) and region.to_image(110, 70) == (10, 20)
    # A HiDPI screen: the grab has two pixels per logical point on each side.
    retina = ScreenMap(image=(2880, 1800), area=(0, 0, 1440, 900))
    assert retina.to_logical(2000, 1000) == (1000, 500)
    assert retina.to_logical(2001, 1001) == (1000, 500)
    assert retina.to_logical(2879, 1799) == (1439, 899)
    # A screenshot shrunk for the model: one image pixel covers 1.5 logical points.
    small = ScreenMap(image=(1280, 720), area=(0, 0, 1920, 1080))
    assert small.to_logical(640, 360) == (960, 540)
    assert small.inside(1279, 719) and not small.inside(1280, 0) and not small.inside(-1, 5)


@given(st.integers(1, 4000), st.integers(1, 4000), st.integers(1, 4000), st.integers(1, 4000),
       st.floats(0, 1, exclude_max=True), st.floats(0, 1, exclude_max=True))
def test_screen_map_stays_in_area_and_round_trips(iw: int, ih: int, aw: int, ah: int,
                                                  fx: float, fy: float) -> None:
    m = ScreenMap(image=(iw, ih), area=(7, 9, aw, ah))
    x, y = int(fx * iw), int(fy * ih)
    lx, ly = m.to_logical(x, y)
    assert 7 <= lx < 7 + aw and 9 <= ly < 9 + ah
    if aw >= iw and ah >= ih:  # every image pixel has its own logical point: exact inverse
        assert m.to_image(lx, ly) == (x, y)


def test_config_converts_cli_strings_and_rejects_bad_ones() -> None:
    c = DesktopConfig(xvfb="1920x1080", region="10,20,300,200", resize="640x400",
                      failsafe="false", pause="0", dry_run="true")
    assert c.xvfb == (1920, 1080) and c.region == (10, 20, 300, 200)
    assert c.resize == (640, 400) and c.failsafe is False and c.dry_run is True
    assert DesktopConfig(xvfb="true").xvfb == (1280, 800)
    assert parse_size("800X600") == (800, 600)
    from vagent.envs.desktop import DesktopEnv, DesktopError

    with pytest.raises(DesktopError, match="region"):
        DesktopEnv(region="1,2,three,4")
    with pytest.raises(DesktopError, match="xvfb"):
        DesktopEnv(xvfb="big")
    with pytest.raises(DesktopError, match="scroll_amount"):
        DesktopEnv(scroll_amount="0")


def test_no_display_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from vagent.envs.desktop import DesktopError
    from vagent.envs.desktop.env import DesktopEnv

    if not sys.platform.startswith("linux"):
        pytest.skip("$DISPLAY matters on X11 only")
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(DesktopError, match=r"no X display.*--xvfb"):
        DesktopEnv()
