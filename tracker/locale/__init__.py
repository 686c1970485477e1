"""The message catalogues (gettext .po files, one per language besides English) and the
extraction method that finds every message, help texts of click commands included."""
