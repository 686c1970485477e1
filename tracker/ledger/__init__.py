"""The spreadsheet ledger (台账): offices exchange progress as spreadsheets, so the tracker
speaks that language both ways.

    export.py     a plan's ledger as .xlsx (styled, printable) or .csv (UTF-8 with BOM)
    progress.py   a returned ledger's status, percent and progress notes back in
    breakdown.py  a task breakdown table (任务分解表) as a plan file for review
    columns.py    the ledger's columns and the header names offices use for them
    reading.py    opening a spreadsheet and naming where in it a problem is
    cells.py      text cells that must never become formulas

The `tracker ledger` commands are tracker/cli/ledger.py. openpyxl is imported only here, and this
package only when a ledger command runs.
"""
