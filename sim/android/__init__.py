"""Simulated Android: an adbd over TCP (adbd.py) in front of a behaviour model (device.py, shell.py)."""
