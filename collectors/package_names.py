"""Android package names, validated before they go anywhere near a device shell or a filter.

Rules (PackageParser.validateName): two or more segments separated by '.', each starting with a
letter and made of ASCII letters, digits and underscores.
"""

from __future__ import annotations

import re

from bgprobe.collectors.errors import UsageError

_PACKAGE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+$")


class BadPackageName(UsageError):
    pass


def check_package_name(name: str) -> str:
    if len(name) > 255 or not _PACKAGE.match(name):
        raise BadPackageName(
            f"{name!r} is not a valid Android package name (e.g. com.example.app: dot-separated "
            "segments of letters, digits and underscores, each starting with a letter)"
        )
    return name


# iOS bundle identifiers (CFBundleIdentifier): letters, digits, '-' and '.' only.
_BUNDLE = re.compile(r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")


def check_app_id(name: str) -> str:
    """An Android package name or an iOS bundle identifier (offline filters take either)."""
    if len(name) <= 255 and (_PACKAGE.match(name) or _BUNDLE.match(name)):
        return name
    raise BadPackageName(
        f"{name!r} is neither an Android package name nor an iOS bundle identifier (e.g. com.example.app)"
    )
