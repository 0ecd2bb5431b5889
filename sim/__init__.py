"""Simulated Android and iOS devices that the real adb server, adbutils and pymobiledevice3 talk to.

Kept apart from the product code (bgprobe.cli / collectors / reports): the product never
imports this package except to start a fleet for `bgprobe sim` and `bgprobe demo`, and never
detects or special-cases a simulated device.
"""
