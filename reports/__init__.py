"""Event and attempt schemas, metrics and renderers: everything computed from events."""
