"""The liaison's terminal app (Textual). `tracker tui` or plain `tracker` in a terminal opens it.

The `tracker tui` command (tracker/cli/tui.py) is all the CLI imports at start; Textual itself loads when the app runs.
"""
