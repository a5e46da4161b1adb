"""Ops Copilot: tasks with AI help, priority scheduling, e-mail, and the workflow automation engine."""
