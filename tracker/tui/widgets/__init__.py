"""Widgets: the paged task table and the lazily expanded plan tree."""
