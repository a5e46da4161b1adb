"""Tenant data: the organization's full export (GDPR art. 20) and its deletion (art. 17)."""
