"""The liaison's terminal app (Textual). `tracker tui` or plain `tracker` in a terminal opens it.

Only `command` is imported when the CLI starts; Textual itself loads when the app runs.
"""
