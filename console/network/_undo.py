"""A Qt-free undo stack over edit commands, as QUndoStack behaves: push runs the edit, consecutive mergeable edits
become one step, a push after undos drops the undone steps, and a *clean* index marks the last save.

The GUI wraps the same commands in a QUndoStack; this one serves the editing service, the CLI and the tests.

>>> from tests.builders import chain
>>> from console.network import SetAttribute
>>> net = chain(2); stack = UndoStack()
>>> stack.push(SetAttribute(net, "pipes", ["P1"], "dn", 160)); stack.push(SetAttribute(net, "pipes", ["P1"], "dn", 200))
>>> len(stack), int(net["pipes"]["dn"].iat[0])  # the two sets of P1's DN merged into one step
(1, 200)
>>> stack.undo(); int(net["pipes"]["dn"].iat[0]), stack.can_redo
(110, True)
"""

from __future__ import annotations

from psygnal import Signal

from console.network._edit import EditCommand

__all__ = ["UndoStack"]


class UndoStack:
    """Undo/redo over :class:`EditCommand` objects (``index`` = how many are applied)."""

    changed = Signal(int)  # the new index
    clean_changed = Signal(bool)

    def __init__(self) -> None:
        self._commands: list[EditCommand] = []
        self._index = 0
        self._clean: int | None = 0
        self._merge_open = True

    def __len__(self) -> int:
        return len(self._commands)

    @property
    def index(self) -> int:
        return self._index

    @property
    def commands(self) -> list[EditCommand]:
        """The applied commands, oldest first."""
        return self._commands[: self._index]

    @property
    def can_undo(self) -> bool:
        return self._index > 0

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._commands)

    @property
    def undo_text(self) -> str:
        return self._commands[self._index - 1].text if self.can_undo else ""

    @property
    def redo_text(self) -> str:
        return self._commands[self._index].text if self.can_redo else ""

    @property
    def is_clean(self) -> bool:
        return self._clean == self._index

    def push(self, command: EditCommand) -> None:
        """Run ``command`` and record it (merged into the previous step when both agree to)."""
        was_clean = self.is_clean
        command.redo()
        del self._commands[self._index :]
        if self._clean is not None and self._clean > self._index:
            self._clean = None  # the saved state was undone and is now unreachable
        top = self._commands[-1] if self._commands and self._merge_open else None
        if top is not None and self._index != self._clean and top.merge_with(command):
            pass
        else:
            self._commands.append(command)
            self._index += 1
        self._merge_open = True
        self._announce(was_clean)

    def break_merge(self) -> None:
        """The next push starts a new step even if it could merge (a drag ended, a form was confirmed)."""
        self._merge_open = False

    def undo(self) -> None:
        if not self.can_undo:
            return
        was_clean = self.is_clean
        self._commands[self._index - 1].undo()
        self._index -= 1
        self._merge_open = False
        self._announce(was_clean)

    def redo(self) -> None:
        if not self.can_redo:
            return
        was_clean = self.is_clean
        self._commands[self._index].redo()
        self._index += 1
        self._merge_open = False
        self._announce(was_clean)

    def set_clean(self) -> None:
        was_clean = self.is_clean
        self._clean = self._index
        self._merge_open = False
        self._announce(was_clean)

    def clear(self) -> None:
        self._commands.clear()
        self._index = 0
        self._clean = 0
        self.changed.emit(0)
        self.clean_changed.emit(True)

    def _announce(self, was_clean: bool) -> None:
        self.changed.emit(self._index)
        if was_clean != self.is_clean:
            self.clean_changed.emit(self.is_clean)
