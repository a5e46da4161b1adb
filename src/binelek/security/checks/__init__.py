"""Check plugins. Each module runs one family of checks against one target and returns a report (a
pydantic model kept with the scan as evidence) from which `findings()` derives what passed and what
did not."""
