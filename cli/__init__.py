"""The typer app: thin commands that pick inputs or devices, call collectors and reports, render."""
