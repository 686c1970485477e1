"""Plan → section → task, read a level at a time as the liaison expands it.

Only the plans of the liaison's own jurisdiction are listed. A task the liaison's unit is on is
marked with its role and status; selecting a task opens its detail.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ...textwidth import fit, printable
from ...i18n import status_label
from ..text import names, tasks_count, tr


@dataclass(frozen=True)
class Place:
    """What a node stands for."""

    kind: str  # plan | section | task
    plan_key: str
    key: str | None = None


class PlanTree(Tree[Place]):
    class TaskChosen(Message):
        def __init__(self, plan_key: str, task_key: str) -> None:
            super().__init__()
            self.plan_key = plan_key
            self.task_key = task_key

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("plans", id=id)
        self.show_root = False
        self.auto_expand = True
        self.loaded = False
        self._filled: set[Place] = set()

    def reload(self) -> None:
        self.loaded = True
        self._filled.clear()
        self._fetch_plans()

    def _fetch_plans(self) -> None:
        self.app.gateway.my_plans(self, self._show_plans)

    def _show_plans(self, plans) -> None:
        self.clear()
        lang = self.app.lang
        room = max(20, self.size.width - 16)
        for plan in plans:
            label = Text(fit(plan.title, room))
            label.append(f"  {tasks_count(plan.tasks, lang)}", style="dim")
            self.root.add(label, data=Place("plan", plan.key), allow_expand=True)
        self.root.expand()
        if plans:
            self.move_cursor(self.root.children[0], animate=False)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Place]) -> None:
        place = event.node.data
        if place is None or place.kind == "task" or place in self._filled:
            return
        self._filled.add(place)
        self._fetch_level(event.node, place)

    def _fetch_level(self, node: TreeNode[Place], place: Place) -> None:
        self.app.gateway.outline(self, place.plan_key, place.key,
                                 lambda answer: self._show_level(node, place, *answer))

    def _show_level(self, node: TreeNode[Place], place: Place, sections, tasks) -> None:
        lang = self.app.lang
        depth = 0
        parent = node
        while parent.parent is not None:
            depth += 1
            parent = parent.parent
        room = max(16, self.size.width - 4 * depth - 30)
        node.remove_children()
        for section in sections:
            label = Text(printable(f"{section.key} "))
            label.append(fit(section.title, room))
            label.append(f"  {tasks_count(section.tasks, lang)}", style="dim")
            node.add(label, data=Place("section", place.plan_key, section.key), allow_expand=True)
        for task in tasks:
            label = Text(printable(f"{task.key} "), style="bold" if task.my_role else "")
            label.append(fit(task.title, room), style="bold" if task.my_role else "")
            if task.lead:
                label.append("  " + fit(tr("tree_lead", lang, names=names(task.lead, lang)), 24), style="dim")
            if task.my_role:
                mine = tr("tree_mine", lang, role=tr(f"role_{task.my_role}", lang))
                label.append(f"  ● {mine} {status_label(task.my_status, lang)}", style="bold")
            node.add_leaf(label, data=Place("task", place.plan_key, task.key))
        if not sections and not tasks:
            node.allow_expand = False

    def on_tree_node_selected(self, event: Tree.NodeSelected[Place]) -> None:
        place = event.node.data
        if place is not None and place.kind == "task":
            event.stop()
            self.post_message(self.TaskChosen(place.plan_key, place.key))
