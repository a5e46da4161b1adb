"""The workflow automation engine: definitions, the interpreter, durable execution and triggers."""
