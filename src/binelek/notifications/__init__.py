"""In-app notifications: what a user sees in the bell, written by automations and alerts."""
