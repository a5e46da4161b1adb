"""Marketplace Intel: competitors, polite price tracking, pricing position, trends, discovery."""
