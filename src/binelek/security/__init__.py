"""Cybersecurity Scanner: assets, external checks, device inventory, vulnerabilities, posture and
compliance."""
