"""Every word the app shows, Chinese first and English for --lang en.

Key bindings are declared with their Chinese descriptions (what the footer shows by default);
`localise_bindings` swaps in the English ones for --lang en.
"""

from __future__ import annotations

from dataclasses import replace

from datetime import datetime

from textual.content import Content

from .. import clock
from ..textwidth import printable
from ..i18n import status_label

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("tracker · 任务进展", "tracker · task progress"),
    # tabs and columns
    "tab_lead": ("牵头", "I lead"),
    "tab_responsible": ("配合", "I support"),
    "tab_all": ("全部", "All"),
    "tab_plans": ("计划", "Plans"),
    "col_key": ("编号", "key"),
    "col_task": ("任务", "task"),
    "col_plan": ("计划", "plan"),
    "col_deadline": ("截止", "deadline"),
    "col_days": ("剩余", "left"),
    "col_status": ("我的状态", "my status"),
    "col_updated": ("更新于", "updated"),
    # the list
    "whoami": ("{unit}({jurisdiction})· {liaison} · 今天 {today}", "{unit} ({jurisdiction}) · {liaison} · today {today}"),
    "liaison": ("联络员 {name}", "liaison {name}"),
    "no_liaison": ("未填联络员", "no liaison name"),
    "filter_placeholder": ("/ 筛选:编号、任务内容、计划、章节", "/ filter: key, text, plan, section"),
    "sort_deadline": ("按截止日期", "by deadline"),
    "sort_status": ("按状态", "by status"),
    "capped": ("仅显示前 {n} 项,用 / 缩小范围", "showing the first {n}; narrow with /"),
    "loading": ("加载中…", "loading…"),
    "due_today": ("今天到期", "due today"),
    "days_left": ("剩{n}天", "{n}d left"),
    "days_overdue": ("超期{n}天", "{n}d late"),
    "role_lead": ("牵头", "lead"),
    "role_responsible": ("配合", "support"),
    "col_role_short": ("角色", "role"),
    "no_rows": ("没有符合条件的任务。", "No matching tasks."),
    "empty_lead": ("{unit} 没有牵头的任务。", "{unit} leads no task."),
    "empty_responsible": ("{unit} 没有配合的任务。", "{unit} supports no task."),
    "empty_all": ("{unit} 没有承担任何任务。", "{unit} has no task."),
    # choosing who you are
    "choose_unit": ("你是哪个单位的联络员?", "Which unit are you the liaison for?"),
    "unit_placeholder": ("输入单位名称、简称或别名", "type a unit's name, short name or alias"),
    "ambiguous": ("{name} 在 {places} 都有,请选择一个。", "{name} exists in {places}; choose one."),
    "no_unit_match": ("没有名称含“{query}”的单位。", "No unit's name contains “{query}”."),
    "choose_liaison": ("{unit}({jurisdiction})的联络员姓名(可留空,回车继续)",
                       "Liaison name for {unit} ({jurisdiction}) (may be empty; Enter to go on)"),
    "liaison_placeholder": ("联络员姓名", "liaison name"),
    "known_liaisons": ("已登记的联络员:", "Registered liaisons:"),
    "remembered_at": ("已记住,下次直接打开:{path}", "Remembered for next time: {path}"),
    # task detail
    "plan": ("计划", "plan"),
    "section": ("章节", "section"),
    "deadline": ("截止", "deadline"),
    "phrase": ("原文“{phrase}”", "source: “{phrase}”"),
    "rule": ("周期:{rule}", "recurs: {rule}"),
    "archived": ("(已从计划中移除)", "(removed from the plan)"),
    "units_heading": ("各单位进展", "Units and their status"),
    "targets_heading": ("目标", "Targets"),
    "history_heading": ("进展记录", "History"),
    "no_history": ("尚无进展记录。", "No updates yet."),
    "col_role": ("角色", "role"),
    "col_unit": ("单位", "unit"),
    "col_percent": ("进度", "%"),
    "col_note": ("最新说明", "latest note"),
    "col_time": ("时间", "time"),
    "col_by": ("记录人", "by"),
    "col_hnote": ("说明", "note"),
    "source_inherited": ("承接", "inherited"),
    "source_expanded": ("{group}", "{group}"),
    "undo_note": ("撤销 #{id}", "undoes #{id}"),
    # the update form
    "update_title": ("更新进展:{key} {title}", "Record progress: {key} {title}"),
    "update_for": ("为 {unit} 记录 · 当前 {current}", "for {unit} · now {current}"),
    "status": ("状态", "status"),
    "percent": ("进度 %", "percent"),
    "percent_placeholder": ("0–100,可空", "0–100, may be empty"),
    "note": ("说明", "note"),
    "note_placeholder": ("进展情况;滞后须写明原因和下一步", "what happened; when behind, why and what next"),
    "save": ("保存", "save"),
    "cancel": ("取消", "cancel"),
    "bad_percent": ("进度须为 0 到 100 的整数。", "Percent must be a whole number from 0 to 100."),
    "note_required": ("状态为“滞后”时须填写说明:原因和下一步。", "A note is required when behind: why, and what comes next."),
    "conflict": ("{who} 已于 {when} 更新了此任务:{state}。你的内容尚未保存;核对后再按保存,将在其基础上记录。",
                 "{who} updated this task at {when}: {state}. Yours was not saved; check it, then save again to record yours on top."),
    "denied": ("无权更新:{unit} 的进展只能由 {unit} 本单位或该计划的统筹协调单位记录。",
               "Not allowed: only {unit} itself or the plan's coordinating unit may record {unit}'s status."),
    "not_assigned": ("{unit} 未承担此任务,没有可记录的进展。", "{unit} has no part in this task; there is nothing to record."),
    "saved": ("已保存:{key} {state}", "Saved: {key} {state}"),
    "undone": ("已撤销 #{id}:{key} 恢复为 {state}", "Undid #{id}: {key} is back to {state}"),
    "nothing_to_undo": ("{key} 没有可撤销的进展。", "There is no update to undo on {key}."),
    "undo_not_yours": ("{key} 最新一条由 {who} 记录,不是你的,未撤销。", "The latest update on {key} is {who}'s, not yours; nothing was undone."),
    "already_undone": ("{key} 最新一条已是撤销记录;请直接记录新的进展。", "The latest entry on {key} is already an undo; record a new update instead."),
    "failed": ("出错:{error}", "Error: {error}"),
    "database_failed": ("数据库出错\uff1a{reason}", "database: {reason}"),
    "pick_row": ("先选中一项任务。", "Select a task first."),
    # plan tree
    "tree_tasks": ("{n} 项", "{n} tasks"),
    "tree_task": ("{n} 项", "{n} task"),
    "tree_lead": ("牵头 {names}", "lead {names}"),
    "tree_mine": ("本单位{role}", "us: {role}"),
    # help
    "help_title": ("按键", "Keys"),
    "help_close": ("按 Esc 或 ? 关闭。改键\uff1a在 {path} 的 [keymap] 中写 编号 = \"键\"",
                   "Esc or ? closes this. Remap a key: id = \"key\" under [keymap] in {path}"),
    "no_unit_chosen": ("未选择单位\uff0c已退出。下次运行 tracker tui 再选择\uff0c或用 tracker tui --as 单位名称。",
                       "No unit chosen; tracker closed. Run tracker tui again to choose, or tracker tui --as UNIT."),
    "no_terminal": ("tracker tui 需要在终端中运行\uff08标准输入和输出都须是终端\uff09。在脚本中请用 tracker tasks、tracker status set。",
                    "tracker tui needs a terminal (standard input and output must both be one). "
                    "In scripts use tracker tasks and tracker status set."),
    # command palette
    "connected_as": ("你以 {unit} 联络员 {liaison} 的身份连接数据库\uff0c不能更换单位",
                     "You are connected as {liaison} of {unit}; the unit cannot be changed"),
    "cmd_change_unit": ("更换单位或联络员", "Change unit or liaison"),
    "cmd_change_unit_help": ("重新选择你代表的单位", "Choose again which unit you act for"),
    "cmd_tab": ("查看:{tab}", "Show: {tab}"),
    "cmd_tab_help": ("切换到该页", "Switch to that tab"),
    "cmd_sort": ("排序:{order}", "Sort: {order}"),
    "cmd_sort_help": ("任务列表的排序方式", "How the task list is ordered"),
    "cmd_help": ("帮助:按键一览", "Help: the keys"),
    "cmd_help_help": ("列出所有按键", "List every key"),
    "cmd_refresh": ("刷新", "Refresh"),
    "cmd_refresh_help": ("重新读取数据库", "Read the database again"),
    "cmd_quit": ("退出", "Quit"),
    "cmd_quit_help": ("关闭 tracker", "Close tracker"),
}

# Every key binding's description, by binding id (the id a user names in tui.toml's [keymap]).
# The footer shows the short one; the help screen lists every live binding with it.
BINDINGS: dict[str, tuple[str, str]] = {
    "app.quit": ("退出", "quit"),
    "app.help": ("帮助", "help"),
    "app.commands": ("命令面板", "command palette"),
    "tasks.filter": ("筛选", "filter"),
    "tasks.clear_filter": ("清除筛选", "clear filter"),
    "tasks.update": ("更新", "update"),
    "tasks.detail": ("详情", "detail"),
    "tasks.undo": ("撤销", "undo"),
    "tasks.sort": ("排序", "sort"),
    "tasks.refresh": ("刷新", "refresh"),
    "tasks.tab_lead": ("牵头", "I lead"),
    "tasks.tab_responsible": ("配合", "I support"),
    "tasks.tab_all": ("全部", "all"),
    "tasks.tab_plans": ("计划", "plans"),
    "detail.back": ("返回", "back"),
    "detail.update": ("更新", "update"),
    "detail.undo": ("撤销", "undo"),
    "detail.refresh": ("刷新", "refresh"),
    "update.cancel": ("取消", "cancel"),
    "update.save": ("保存", "save"),
    "choose.back": ("返回", "back"),
    "choose.down": ("下一个", "next"),
    "choose.up": ("上一个", "previous"),
    "help.close": ("关闭", "close"),
}


def tr(name: str, lang: str = "zh", /, **kwargs) -> str:
    zh, en = _TEXT[name]
    return (en if lang == "en" else zh).format(**kwargs)


def local_time(moment: datetime | None, tz: str | None = None) -> str:
    """A stored instant as the plan's local time, to the minute (clock.shown)."""
    return clock.shown(moment, tz, empty="—")


def plain(text: str) -> Content:
    """Text for a widget, shown as written: never read as markup (a note `数据已汇总[/]` or
    `[link=…]` is text someone typed), and with control characters made visible.

    Every string a widget shows goes through here or through `display.fit`, because most of
    them carry user data (notes, names, task texts, plan titles) somewhere inside."""
    return Content(printable(text))


def state(status: str, percent: int | None, lang: str) -> str:
    """推进中 60%: a status as one short phrase."""
    return status_label(status, lang) + (f" {percent}%" if percent is not None else "")


def binding_description(binding_id: str | None, lang: str, fallback: str = "") -> str:
    zh_en = BINDINGS.get(binding_id or "")
    if zh_en is None:
        return fallback
    return zh_en[1] if lang == "en" else zh_en[0]


def localise_bindings(node, lang: str) -> None:
    """Give `node`'s key bindings their descriptions in the interface's language, by binding id.

    Textual reads descriptions from the node's binding map, built from the class's BINDINGS
    when the node is created; replacing the map's entries is the one place to do it, because
    the language is chosen at run time (`--lang`). Textual is pinned to an exact version, and
    the English snapshot test shows the footer, so a change there is caught."""
    for key, bindings in node._bindings.key_to_bindings.items():
        node._bindings.key_to_bindings[key] = [
            replace(b, description=binding_description(b.id, lang, b.description)) for b in bindings]
