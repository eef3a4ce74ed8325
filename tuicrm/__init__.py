"""tuicrm: a keyboard-driven CRM that lives in the terminal."""

__version__ = "0.1.0"
