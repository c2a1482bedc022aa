"""A real Tk application for the desktop tests: a form that reports its state as JSON.

Run ``python form_app.py --state FILE`` on an X display. It shows, at fixed places (no window
manager under Xvfb, so the window sits exactly at ORIGIN):

- an entry (Enter submits it, Ctrl+U clears it), an OK button (counts), a Clear button;
- a click pad that tells left / middle / right / double / triple clicks apart;
- a listbox of 30 items (wheel scrolls it; a click selects);
- a multi-line text box (tabs and newlines);
- a canvas larger than its view, scrolled by the vertical and horizontal wheel;
- a drag canvas with a token and a target.

It records the pointer and every button and key press (with modifiers) in root coordinates,
and rewrites FILE (atomically) whenever its state changes. Tests read the app's state, not pixels.
"""

from __future__ import annotations

import argparse
import json
import os
import tkinter as tk
from pathlib import Path
from typing import Any

ORIGIN = (20, 20)  # the window's top-left corner on the screen
SIZE = (760, 500)
LAYOUT: dict[str, tuple[int, int, int, int]] = {  # x, y, width, height inside the window
    "entry": (20, 20, 300, 30),
    "ok": (340, 20, 80, 30),
    "clear": (430, 20, 80, 30),
    "pad": (540, 20, 200, 120),
    "list": (20, 70, 200, 150),
    "notes": (240, 70, 280, 150),
    "area": (20, 240, 360, 240),
    "drag": (400, 240, 340, 240),
}
ITEMS = [f"item {i:02d}" for i in range(1, 31)]
TOKEN = (20, 20, 80, 80)  # in the drag canvas
TARGET = (240, 140, 320, 220)
SCROLL_STEP = 20  # pixels per wheel click in the scroll area

MODS = (("ctrl", 0x4), ("alt", 0x8), ("shift", 0x1), ("super", 0x40))
MODIFIER_KEYSYMS = {"Control_L", "Control_R", "Alt_L", "Alt_R", "Shift_L", "Shift_R",
                    "Super_L", "Super_R", "Meta_L", "Meta_R", "ISO_Level3_Shift"}
BUTTONS = {1: "left", 2: "middle", 3: "right"}
WHEEL = {4: ("y", -1), 5: ("y", 1), 6: ("x", -1), 7: ("x", 1)}  # X button → (axis, step)


def centre(name: str, dx: int = 0, dy: int = 0) -> tuple[int, int]:
    """Screen coordinates of a widget's centre (plus an offset)."""
    x, y, w, h = LAYOUT[name]
    return ORIGIN[0] + x + w // 2 + dx, ORIGIN[1] + y + h // 2 + dy


def screen_point(name: str, x: int, y: int) -> tuple[int, int]:
    """Screen coordinates of point (x, y) inside a widget."""
    bx, by, _, _ = LAYOUT[name]
    return ORIGIN[0] + bx + x, ORIGIN[1] + by + y


class FormApp:
    def __init__(self, root: tk.Tk, state_path: Path):
        self.root = root
        self.path = state_path
        self.s: dict[str, Any] = {
            "ready": False, "submitted": None, "ok_clicks": 0, "cleared": 0, "pad": [],
            "selected": None, "pointer": None, "presses": [], "keys": [], "escapes": 0,
            "dropped": False, "drag_motions": 0, "wheel": [],
        }
        self._written = ""
        root.title("vagent form")
        root.geometry(f"{SIZE[0]}x{SIZE[1]}+{ORIGIN[0]}+{ORIGIN[1]}")
        self.entry = tk.Entry(root, font=("DejaVu Sans", 12))
        self.entry.bind("<Return>", lambda e: self.s.update(submitted=self.entry.get()))
        self.entry.bind("<Control-u>", self._clear)
        tk.Button(root, text="OK", command=self._ok).place(**_box("ok"))
        tk.Button(root, text="Clear", command=self._clear).place(**_box("clear"))
        self.entry.place(**_box("entry"))

        pad = tk.Frame(root, bg="#d0d8e0")
        pad.place(**_box("pad"))
        tk.Label(pad, text="click pad", bg="#d0d8e0").place(x=2, y=2)  # off the centre
        for seq, name in (("<ButtonPress-1>", "left"), ("<ButtonPress-2>", "middle"),
                          ("<ButtonPress-3>", "right"), ("<Double-ButtonPress-1>", "double"),
                          ("<Triple-ButtonPress-1>", "triple")):
            pad.bind(seq, lambda e, n=name: self.s["pad"].append(n))

        self.listbox = tk.Listbox(root, font=("DejaVu Sans", 11), exportselection=False)
        for item in ITEMS:
            self.listbox.insert("end", item)
        self.listbox.place(**_box("list"))
        self.listbox.bind("<<ListboxSelect>>", self._select)

        self.notes = tk.Text(root, font=("DejaVu Sans Mono", 10), undo=False)
        self.notes.place(**_box("notes"))

        self.area = tk.Canvas(root, bg="white", scrollregion=(0, 0, 2000, 2000),
                              xscrollincrement=SCROLL_STEP, yscrollincrement=SCROLL_STEP,
                              highlightthickness=0)
        for i in range(0, 2000, 100):
            self.area.create_line(i, 0, i, 2000, fill="#ccc")
            self.area.create_line(0, i, 2000, i, fill="#ccc")
            self.area.create_text(i + 4, 4, text=str(i), anchor="nw")
        self.area.place(**_box("area"))
        # X11 reports the wheel as buttons 4/5 (vertical) and 6/7 (horizontal); Tk 8.6 cannot
        # name buttons above 5 in a pattern, so one binding reads the number.
        self.area.bind("<ButtonPress>", self._wheel)

        self.drag = tk.Canvas(root, bg="#f4f4f4", highlightthickness=0)
        self.drag.place(**_box("drag"))
        self.drag.create_rectangle(*TARGET, outline="#2a6", width=3, tags="target")
        self.drag.create_rectangle(*TOKEN, fill="#36c", tags="token")
        self.drag.tag_bind("token", "<ButtonPress-1>", self._grab)
        self.drag.tag_bind("token", "<B1-Motion>", self._move)
        self.drag.tag_bind("token", "<ButtonRelease-1>", self._drop)
        self._grab_at: tuple[int, int] | None = None

        root.bind_all("<Motion>", lambda e: self.s.update(pointer=[e.x_root, e.y_root]), add="+")
        root.bind_all("<ButtonPress>", self._press, add="+")
        # Keys on the toplevel's tag: 'all' has more specific Tk bindings (Alt-KeyPress for
        # menus, Tab for focus) that would hide a generic KeyPress there.
        root.bind("<KeyPress>", self._key)
        root.after(100, self._ready)

    # -- handlers -----------------------------------------------------------------------------
    def _ok(self) -> None:
        self.s["ok_clicks"] += 1

    def _clear(self, _event: Any = None) -> str:
        self.entry.delete(0, "end")
        self.s["cleared"] += 1
        return "break"

    def _select(self, _event: Any) -> None:
        sel = self.listbox.curselection()
        self.s["selected"] = ITEMS[sel[0]] if sel else None

    def _wheel(self, e: tk.Event) -> None:
        num = int(e.num) if str(e.num).isdigit() else 0
        if num not in WHEEL:
            return
        axis, step = WHEEL[num]
        if axis == "y" and e.state & 0x1:  # shift + wheel scrolls sideways, as browsers do
            axis = "x"
        (self.area.yview_scroll if axis == "y" else self.area.xview_scroll)(step, "units")
        self.s["wheel"].append(f"{axis}{step:+d}")

    def _press(self, e: tk.Event) -> None:
        if e.num in BUTTONS:
            self.s["presses"].append({"x": e.x_root, "y": e.y_root, "button": BUTTONS[e.num]})

    def _key(self, e: tk.Event) -> None:
        if e.keysym in MODIFIER_KEYSYMS:
            return
        if e.keysym == "Escape":
            self.s["escapes"] += 1
        mods = [name for name, bit in MODS if e.state & bit]
        self.s["keys"].append("+".join(mods + [e.keysym]))

    def _grab(self, e: tk.Event) -> None:
        self._grab_at = (e.x, e.y)

    def _move(self, e: tk.Event) -> None:
        if self._grab_at is None:
            return
        self.drag.move("token", e.x - self._grab_at[0], e.y - self._grab_at[1])
        self._grab_at = (e.x, e.y)
        self.s["drag_motions"] += 1

    def _drop(self, _e: tk.Event) -> None:
        self._grab_at = None
        x1, y1, x2, y2 = self.drag.coords("token")
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        self.s["dropped"] = TARGET[0] <= cx <= TARGET[2] and TARGET[1] <= cy <= TARGET[3]

    # -- state --------------------------------------------------------------------------------
    def _ready(self) -> None:
        self.root.focus_force()
        self.entry.focus_set()
        self.s["ready"] = True
        self.s["geometry"] = [self.root.winfo_rootx(), self.root.winfo_rooty(),
                              self.root.winfo_width(), self.root.winfo_height()]
        self._poll()

    def state(self) -> dict[str, Any]:
        x1, y1, x2, y2 = self.drag.coords("token")
        return {**self.s,
                "entry": self.entry.get(),
                "notes": self.notes.get("1.0", "end-1c"),
                "list_top": self.listbox.nearest(0),
                "area_x": int(self.area.canvasx(0)), "area_y": int(self.area.canvasy(0)),
                "token": [(x1 + x2) / 2, (y1 + y2) / 2],
                "focus": str(self.root.focus_get() or "")}

    def _poll(self) -> None:
        text = json.dumps(self.state(), ensure_ascii=False)
        if text != self._written:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.path)
            self._written = text
        self.root.after(30, self._poll)


def _box(name: str) -> dict[str, int]:
    x, y, w, h = LAYOUT[name]
    return {"x": x, "y": y, "width": w, "height": h}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--state", type=Path, required=True, help="JSON file to keep the state in")
    args = ap.parse_args()
    root = tk.Tk()
    FormApp(root, args.state)
    root.mainloop()


if __name__ == "__main__":
    main()
