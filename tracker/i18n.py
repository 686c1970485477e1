"""Words the users read, Chinese first, English with --lang en.

Statuses and roles have a stable code in the database and a label per language here.
"""

from __future__ import annotations

STATUSES = ("not_started", "in_progress", "done", "behind", "ongoing")
STATUS_LABELS = {
    "zh": {"not_started": "未启动", "in_progress": "推进中", "done": "已完成", "behind": "滞后", "ongoing": "长期坚持"},
    "en": {"not_started": "not started", "in_progress": "in progress", "done": "done", "behind": "behind", "ongoing": "ongoing"},
}
ROLES = ("lead", "responsible")
ROLE_LABELS = {
    "zh": {"lead": "牵头", "responsible": "责任"},
    "en": {"lead": "lead", "responsible": "responsible"},
}

_MESSAGES = {
    "error": {"zh": "错误", "en": "error"},
    "overdue": {"zh": "已超期", "en": "overdue"},
    "ongoing_deadline": {"zh": "长期坚持", "en": "ongoing"},
    "no_tasks": {"zh": "没有符合条件的任务。", "en": "No matching tasks."},
    "days_left": {"zh": "剩{n}天", "en": "{n} days left"},
    "days_overdue": {"zh": "超期{n}天", "en": "{n} days overdue"},
}


def status_label(code: str | None, lang: str = "zh") -> str:
    if code is None:
        return STATUS_LABELS[lang]["not_started"]
    return STATUS_LABELS[lang].get(code, code)


def role_label(code: str, lang: str = "zh") -> str:
    return ROLE_LABELS[lang].get(code, code)


def parse_status(text: str) -> str:
    """Accept a status by code or by its Chinese or English label."""
    from .errors import TrackerError

    value = text.strip()
    for code in STATUSES:
        if value in (code, STATUS_LABELS["zh"][code], STATUS_LABELS["en"][code]):
            return code
    choices = "、".join(STATUS_LABELS["zh"][c] for c in STATUSES)
    raise TrackerError(f"unknown status {text!r}; use one of {choices} ({', '.join(STATUSES)})")


def t(key: str, lang: str = "zh", **kwargs) -> str:
    entry = _MESSAGES[key]
    return entry.get(lang, entry["zh"]).format(**kwargs)
