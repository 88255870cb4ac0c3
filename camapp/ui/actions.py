"""Every action and gesture of the live window with its keys, menu and help text: one table."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Literal

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QMainWindow, QMenu, QMenuBar

Menu = Literal["File", "View", "Help"]

#: Menu bar titles, in menu bar order, with their mnemonics.
MENU_TITLES: dict[str, str] = {"File": "&File", "View": "&View", "Help": "&Help"}


@dataclass(frozen=True)
class ActionSpec:
    """One thing the user can do: its keys, its menu and how the help overlay lists it.

    Attributes:
        name: Stable id: the key of the handlers and of :func:`install_actions`' result.
        text: Menu text with its ``&`` mnemonic (gestures: a plain description).
        shortcuts: Keys in :class:`QKeySequence` portable text (``Ctrl+O``, ``Space``); for a
            gesture, the keys the video view itself handles.
        menu: The menu listing it; ``None``: keys only, or a gesture.
        help: What the help overlay says it does (``""``: not listed, it has no key).
        help_keys: How the overlay names its keys or gesture; ``""``: the shortcuts joined
            with " or ". Entries with the same ``help_keys`` and ``help`` share one row.
        tip: Status-bar tip of the menu item.
        gesture: Handled by :class:`~camapp.ui.video_view.VideoView` itself (mouse or arrow
            keys), so no :class:`QAction` is made for it.
        separator_before: A separator goes before it in its menu.
        held: Teach-mode keys, held down (press starts, release stops): the window's teach
            controller reads them (:func:`held_keys`), so no :class:`QAction` is made.
        anywhere: The picture's keys: they work whatever has the focus, except while the
            user types in a text field (:class:`~camapp.ui.keys.PictureKeys`).
    """

    name: str
    text: str
    shortcuts: tuple[str, ...] = ()
    menu: Menu | None = None
    help: str = ""
    help_keys: str = ""
    tip: str = ""
    gesture: bool = False
    separator_before: bool = False
    held: bool = False
    anywhere: bool = False

    @property
    def keys_text(self) -> str:
        """The keys or gesture as the help overlay writes them."""
        return self.help_keys or " or ".join(self.shortcuts)


# Help rows shared by two entries each: (keys text, help).
_NEXT_PREVIOUS = ("N / P", "next / previous photo (photos and folders)")
_UP_DOWN = ("Up / Down", "box larger / smaller")
_LEFT_RIGHT = ("Left / Right", "box taller and narrower / shorter and wider")

#: The table: window actions in menu order, then the gestures the video view handles.
ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("open_image", "Open &image...", ("Ctrl+O",), "File", "open an image"),
    ActionSpec(
        "open_folder", "Open &folder...", ("Ctrl+Shift+O",), "File", "open a folder of images"
    ),
    ActionSpec("open_video", "Open &video...", ("Ctrl+Alt+O",), "File", "open a video"),
    ActionSpec("open_camera", "Open &camera", (), "File"),
    ActionSpec("open_model", "Open &model file...", (), "File", separator_before=True),
    ActionSpec(
        "models",
        "Mo&dels...",
        (),
        "File",
        tip="Install, remove and check models: from the web or a folder (a USB stick)",
    ),
    ActionSpec(
        "snapshot",
        "&Save snapshot",
        ("S",),
        "File",
        "save a snapshot of the view (PNG)",
        tip="Save the view with the box and labels as a PNG",
        separator_before=True,
        anywhere=True,
    ),
    ActionSpec("quit", "&Quit", ("Ctrl+Q",), "File", "quit", separator_before=True),
    ActionSpec(
        "next",
        "&Next photo",
        ("N",),
        "View",
        help_keys=_NEXT_PREVIOUS[0],
        help=_NEXT_PREVIOUS[1],
        anywhere=True,
    ),
    ActionSpec(
        "previous",
        "&Previous photo",
        ("P",),
        "View",
        help_keys=_NEXT_PREVIOUS[0],
        help=_NEXT_PREVIOUS[1],
        anywhere=True,
    ),
    ActionSpec(
        "recognise",
        "&Recognise now",
        ("Space",),
        "View",
        "recognise once (click mode)",
        help_keys="Space or click",
        anywhere=True,
    ),
    ActionSpec(
        "reset_box",
        "R&eset the box",
        ("R", "Home"),
        "View",
        "put the box back in the middle",
        tip="Put the box back where it starts: in the middle of the picture",
        anywhere=True,
    ),
    ActionSpec(
        "teach_mode",
        "&Teach mode",
        ("T",),
        "View",
        "teach mode on / off (recognise your own classes)",
        tip="Switch between the ImageNet model and the classes you teach",
        anywhere=True,
    ),
    # Teach-mode keys: held down to capture examples of class N (the teach controller's).
    ActionSpec(
        "capture",
        "Capture examples",
        tuple("123456789"),
        None,
        "teach mode: capture examples of class 1 to 9 while held",
        help_keys="Hold 1 ... 9",
        held=True,
        anywhere=True,
    ),
    ActionSpec(
        "fullscreen",
        "&Full screen",
        ("F11",),
        "View",
        "full screen on / off",
        separator_before=True,
    ),
    ActionSpec("leave", "Leave full screen", ("Esc",), None, "leave full screen, close this help"),
    ActionSpec("help", "&Keys and mouse", ("F1", "?"), "Help", "show / hide this help"),
    # Gestures: the video view handles these itself while it has the mouse or the focus.
    ActionSpec(
        "move_box",
        "Move the box",
        (),
        None,
        "move the box",
        help_keys="Drag inside the box",
        gesture=True,
    ),
    ActionSpec(
        "resize_box",
        "Resize the box",
        (),
        None,
        "resize the box",
        help_keys="Drag a corner",
        gesture=True,
    ),
    ActionSpec(
        "scale_box",
        "Scale the box",
        (),
        None,
        "make the box larger or smaller",
        help_keys="Mouse wheel",
        gesture=True,
    ),
    ActionSpec(
        "centre_box",
        "Centre the box",
        (),
        None,
        "move the box there",
        help_keys="Drag from outside the box",
        gesture=True,
    ),
    ActionSpec(
        "box_larger",
        "Larger box",
        ("Up",),
        None,
        help_keys=_UP_DOWN[0],
        help=_UP_DOWN[1],
        gesture=True,
        anywhere=True,
    ),
    ActionSpec(
        "box_smaller",
        "Smaller box",
        ("Down",),
        None,
        help_keys=_UP_DOWN[0],
        help=_UP_DOWN[1],
        gesture=True,
        anywhere=True,
    ),
    ActionSpec(
        "box_taller",
        "Taller box",
        ("Left",),
        None,
        help_keys=_LEFT_RIGHT[0],
        help=_LEFT_RIGHT[1],
        gesture=True,
        anywhere=True,
    ),
    ActionSpec(
        "box_wider",
        "Wider box",
        ("Right",),
        None,
        help_keys=_LEFT_RIGHT[0],
        help=_LEFT_RIGHT[1],
        gesture=True,
        anywhere=True,
    ),
)

#: The order of the help overlay's rows (by the name of an entry on each row).
HELP_ORDER: tuple[str, ...] = (
    "move_box",
    "resize_box",
    "scale_box",
    "centre_box",
    "box_larger",
    "box_smaller",
    "box_taller",
    "box_wider",
    "reset_box",
    "recognise",
    "teach_mode",
    "capture",
    "next",
    "previous",
    "snapshot",
    "open_image",
    "open_folder",
    "open_video",
    "fullscreen",
    "leave",
    "help",
    "quit",
)


def spec(name: str) -> ActionSpec:
    """The table entry called ``name``.

    Raises:
        KeyError: When there is none.
    """
    for entry in ACTIONS:
        if entry.name == name:
            return entry
    raise KeyError(name)


def help_rows() -> list[tuple[str, str]]:
    """The help overlay's ``(keys, what they do)`` rows.

    Rows follow :data:`HELP_ORDER`; listed entries missing from it come last, in table order.
    Entries with the same keys text and help share one row.
    """
    ordered = [spec(name) for name in HELP_ORDER]
    ordered += [e for e in ACTIONS if e.name not in HELP_ORDER]
    rows: list[tuple[str, str]] = []
    for entry in ordered:
        row = (entry.keys_text, entry.help)
        if entry.help and row[0] and row not in rows:
            rows.append(row)
    return rows


@cache
def gesture_keys() -> Mapping[Qt.Key, str]:
    """The keys the video view handles itself, each with the name of its gesture entry."""
    return MappingProxyType(
        {
            QKeySequence(key)[0].key(): entry.name
            for entry in ACTIONS
            if entry.gesture
            for key in entry.shortcuts
        }
    )


@cache
def anywhere_keys() -> frozenset[int]:
    """The key codes of the window actions marked ``anywhere`` (no modifier keys)."""
    return frozenset(
        QKeySequence(key)[0].key().value
        for entry in ACTIONS
        if entry.anywhere and not (entry.gesture or entry.held)
        for key in entry.shortcuts
    )


def held_keys(name: str) -> dict[int, int]:
    """The key codes of the held entry ``name``, each with its position (0: the first key)."""
    return {QKeySequence(key)[0].key().value: i for i, key in enumerate(spec(name).shortcuts)}


def install_actions(
    window: QMainWindow, handlers: Mapping[str, Callable[[], None]]
) -> dict[str, QAction]:
    """Makes a :class:`QAction` for every entry of :data:`ACTIONS` but gestures and held keys.

    Each action gets its menu text, shortcuts (window context), status tip and handler, and is
    added to ``window`` itself, so its keys work even while the menu bar is hidden (full
    screen). Put the actions in menus with :func:`populate_menus`.

    Args:
        window: Parent of the actions; its keys trigger them while it is the active window.
        handlers: A callable without arguments for every non-gesture entry, by name.

    Returns:
        The actions by name, in table order.

    Raises:
        ValueError: When a handler is missing, or given for an unknown name or a gesture.
    """
    names = [entry.name for entry in ACTIONS if not (entry.gesture or entry.held)]
    missing = [name for name in names if name not in handlers]
    unknown = [name for name in handlers if name not in names]
    if missing or unknown:
        raise ValueError(f"action handlers: missing {missing}, not window actions {unknown}")
    actions: dict[str, QAction] = {}
    for entry in ACTIONS:
        if entry.gesture or entry.held:
            continue
        action = QAction(entry.text, window)
        action.setObjectName(f"action_{entry.name}")
        action.setShortcuts([QKeySequence(key) for key in entry.shortcuts])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if entry.tip:
            action.setStatusTip(entry.tip)
        handler = handlers[entry.name]
        action.triggered.connect(lambda _checked=False, run=handler: run())
        window.addAction(action)  # shortcuts work even when the menu bar is hidden
        actions[entry.name] = action
    return actions


def populate_menus(
    menu_bar: QMenuBar,
    actions: Mapping[str, QAction],
    extra_view_actions: Iterable[QAction] = (),
) -> dict[str, QMenu]:
    """Adds the File, View and Help menus, each listing its table entries in table order.

    Args:
        menu_bar: Usually ``window.menuBar()``.
        actions: What :func:`install_actions` returned.
        extra_view_actions: Appended to the View menu after a separator (the docks' toggle
            view actions).

    Returns:
        The menus by name (``File``, ``View``, ``Help``).
    """
    menus: dict[str, QMenu] = {}
    for name, title in MENU_TITLES.items():
        menu = menu_bar.addMenu(title)
        assert menu is not None
        for entry in ACTIONS:
            if entry.menu != name:
                continue
            if entry.separator_before:
                menu.addSeparator()
            menu.addAction(actions[entry.name])
        menus[name] = menu
    extra = list(extra_view_actions)
    if extra:
        menus["View"].addSeparator()
        menus["View"].addActions(extra)
    return menus
