"""The action table: every key triggers its handler, menus keep their order, help lists all."""

from __future__ import annotations

import html
from collections import Counter

import pytest

pytest.importorskip("PyQt6")

from PyQt6.QtGui import QAction, QKeySequence  # noqa: E402
from PyQt6.QtWidgets import QMainWindow, QMenu, QWidget  # noqa: E402

from camapp.base.roi import ROI  # noqa: E402
from camapp.ui.actions import (  # noqa: E402
    ACTIONS,
    HELP_ORDER,
    help_rows,
    install_actions,
    populate_menus,
)
from camapp.ui.panels import HelpPanel  # noqa: E402
from camapp.ui.video_view import BOX_KEY_CHANGES, VideoView  # noqa: E402

pytestmark = pytest.mark.gui

WINDOW_ACTIONS = [entry for entry in ACTIONS if not (entry.gesture or entry.held)]


@pytest.fixture
def calls() -> list[str]:
    return []


@pytest.fixture
def window(qtbot, calls) -> QMainWindow:
    """A shown, active bare window with every table action installed and recording."""
    window = QMainWindow()
    qtbot.addWidget(window)
    handlers = {entry.name: (lambda n=entry.name: calls.append(n)) for entry in WINDOW_ACTIONS}
    window.table_actions = install_actions(window, handlers)  # type: ignore[attr-defined]
    window.resize(400, 300)
    window.show()
    qtbot.waitExposed(window)
    window.windowHandle().requestActivate()  # window shortcuts need the active window
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    return window


def menu_texts(menu: QMenu) -> list[str]:
    return [action.text() for action in menu.actions()]


def test_every_key_of_the_table_triggers_its_handler_with_the_menu_bar_hidden(qtbot, window, calls):
    actions = window.table_actions
    populate_menus(window.menuBar(), actions)
    window.menuBar().hide()  # as in full screen
    assert list(actions) == [entry.name for entry in WINDOW_ACTIONS]
    for entry in WINDOW_ACTIONS:
        action = actions[entry.name]
        assert action.shortcuts() == [QKeySequence(key) for key in entry.shortcuts]
        for key in entry.shortcuts:
            calls.clear()
            combo = QKeySequence(key)[0]
            qtbot.keyClick(window, combo.key(), combo.keyboardModifiers())
            assert calls == [entry.name], key


def test_menu_items_trigger_their_handler_too(window, calls):
    for entry in WINDOW_ACTIONS:
        calls.clear()
        window.table_actions[entry.name].trigger()
        assert calls == [entry.name]


def test_no_two_entries_share_a_key_or_a_name():
    keys = Counter(
        QKeySequence(key).toString(QKeySequence.SequenceFormat.PortableText)
        for entry in ACTIONS
        for key in entry.shortcuts
    )
    assert [key for key, count in keys.items() if count > 1] == []
    assert "" not in keys  # every key text parses
    names = Counter(entry.name for entry in ACTIONS)
    assert [name for name, count in names.items() if count > 1] == []


def test_menus_keep_the_window_order_and_end_view_with_the_extra_actions(window):
    dock_toggle = QAction("Results", window)
    menus = populate_menus(window.menuBar(), window.table_actions, [dock_toggle])
    assert [a.text() for a in window.menuBar().actions()] == ["&File", "&View", "&Help"]
    assert menu_texts(menus["File"]) == [
        "Open &image...",
        "Open &folder...",
        "Open &video...",
        "Open &camera",
        "",
        "Open &model file...",
        "Mo&dels...",
        "",
        "&Save snapshot",
        "",
        "&Quit",
    ]
    assert menu_texts(menus["View"]) == [
        "&Next photo",
        "&Previous photo",
        "&Recognise now",
        "R&eset the box",
        "&Teach mode",
        "",
        "&Full screen",
        "",
        "Results",
    ]
    assert menu_texts(menus["Help"]) == ["&Keys and mouse"]
    snapshot = window.table_actions["snapshot"]
    assert snapshot.statusTip() == "Save the view with the box and labels as a PNG"


def test_install_actions_refuses_missing_or_unknown_handlers(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    handlers = {entry.name: (lambda: None) for entry in WINDOW_ACTIONS}
    with pytest.raises(ValueError, match="quit"):
        install_actions(window, {k: v for k, v in handlers.items() if k != "quit"})
    with pytest.raises(ValueError, match="box_larger"):
        install_actions(window, {**handlers, "box_larger": lambda: None})
    assert window.actions() == []


def test_help_panel_lists_every_entry_with_a_key_or_gesture(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    text = HelpPanel(parent).label.text()
    unlisted = []
    for entry in ACTIONS:
        if not (entry.shortcuts or entry.gesture):
            unlisted.append(entry.name)  # menu only: the overlay lists keys and mouse
            continue
        row = f"<b>{html.escape(entry.keys_text)}</b>"
        assert row in text and html.escape(entry.help) in text, entry.name
        for key in entry.shortcuts if not entry.held else entry.shortcuts[::8]:  # "Hold 1 ... 9"
            assert key in entry.keys_text, (entry.name, key)
    assert unlisted == ["open_camera", "open_model", "models"]
    positions = [text.index(f"<b>{html.escape(keys)}</b>") for keys, _ in help_rows()]
    assert positions == sorted(positions)
    assert set(HELP_ORDER) == {e.name for e in ACTIONS if e.shortcuts or e.gesture}


def test_video_view_arrow_keys_do_what_the_table_says(qtbot):
    view = VideoView()
    qtbot.addWidget(view)
    start = ROI.clamped(0.3, 0.3, 0.6, 0.7)
    keyed_gestures = [entry for entry in ACTIONS if entry.gesture and entry.shortcuts]
    assert {entry.name for entry in keyed_gestures} == set(BOX_KEY_CHANGES)
    for entry in keyed_gestures:
        for key in entry.shortcuts:
            view.set_roi(start, notify=False)
            combo = QKeySequence(key)[0]
            qtbot.keyClick(view, combo.key(), combo.keyboardModifiers())
            assert view.roi == BOX_KEY_CHANGES[entry.name](start), key
            assert view.roi != start
