"""Calendar feeds: per-unit and per-plan deadline calendars (ical), the subscription server
(server), and the `tracker feed` commands (cli)."""
