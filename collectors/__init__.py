"""Everything that talks to a device or reads a device's files, and turns it into events."""
