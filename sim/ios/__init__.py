"""Simulated iOS: usbmuxd + lockdownd + services over TCP, in front of a behaviour model."""
