"""Connectors: the common business schema every module queries, and the ways data comes into it."""
