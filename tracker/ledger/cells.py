"""Text that must stay text: a progress note like `=HYPERLINK(...)` or `-3%` typed by one
office must not run as a formula in another office's Excel (CSV/formula injection, OWASP).

In .xlsx such text is written as a string cell with Excel's quote prefix (the cell shows no
apostrophe, and editing it keeps it text). CSV has no cell types, so the text gets a leading
apostrophe, which the importer removes again.

A cell holds at most 32,767 characters. openpyxl cuts longer text without a word, so a ledger
that would hold one is refused instead, on the way out and on the way back in.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CELL_LIMIT = 32_767  # characters: the most a spreadsheet cell holds (Excel's limit; openpyxl cuts there)


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def csv_text(value) -> str:
    """A value as a CSV field that spreadsheet programs will not evaluate."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if looks_like_formula(text) else text


def from_csv_text(text: str) -> str:
    """Undo csv_text: an apostrophe that guards a formula-like text is not part of it."""
    if text.startswith("'") and looks_like_formula(text[1:]):
        return text[1:]
    return text
