"""tracker: the key tasks of action plans, their lead and supporting units, deadlines and status."""

__version__ = "0.1.0"
