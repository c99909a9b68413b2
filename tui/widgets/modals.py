"""The small dialogs of the Questions screen: the rule an objective reason names, and a note."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

OTHER = "other"


class RulePicker(ModalScreen[str | None]):
    """One line per justification rule, and "other" (a reason of the engineer's own, in a note)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, rules: list[tuple[str, str]]) -> None:
        super().__init__()
        self.rules = rules

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Which objective reason? (enter picks, escape cancels)")
            width = max((len(name) for name, _ in self.rules), default=len(OTHER))
            options = [Option(f"{name:<{width}}  {summary}", id=name) for name, summary in self.rules]
            options.append(Option(f"{OTHER:<{width}}  another reason: say it in a note", id=OTHER))
            yield OptionList(*options, id="rules")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class NoteInput(ModalScreen[str | None]):
    """A free-text note; it goes with the next answer."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, prompt: str, value: str = "") -> None:
        super().__init__()
        self.prompt = prompt
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.prompt)
            yield Input(self.value, placeholder="a note in your words", id="note")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)
