"""Reprieve: an open-source sanctions engine for online platforms."""

__version__ = "0.1.0"
