"""Calendar feeds: per-unit and per-plan deadline calendars (ical), the subscription server
(server), and safe file names (filenames); the `tracker feed` commands are tracker/cli/feeds.py."""
