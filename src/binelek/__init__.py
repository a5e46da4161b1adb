"""Binelek: the open-source SMB AI Command Platform."""

__version__ = "0.1.0"
