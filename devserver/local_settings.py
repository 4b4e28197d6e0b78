"""Read local.settings.json's Values the way Core Tools does: variables already in the environment win."""

import json
from collections.abc import Mapping
from pathlib import Path


class LocalSettingsError(Exception):
    """local.settings.json exists but cannot be used."""


def read_values(path: Path) -> dict[str, str]:
    """Return the file's `Values` (empty when the file is absent); refuse encrypted or malformed files."""
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise LocalSettingsError(f"{path} is not valid JSON: {exc}") from None
    # Core Tools treats a missing IsEncrypted as true; such values can only be decrypted by Core Tools itself.
    if raw.get("IsEncrypted", True) is not False:
        raise LocalSettingsError(f'{path} must contain "IsEncrypted": false (see local.settings.example.json)')
    values = raw.get("Values", {})
    if not isinstance(values, dict):
        raise LocalSettingsError(f"{path}: Values must be an object of strings")
    return {name: str(value) for name, value in values.items()}


def missing_from(environ: Mapping[str, str], values: Mapping[str, str]) -> dict[str, str]:
    """Return the values whose names the environment does not define already."""
    return {name: value for name, value in values.items() if name not in environ}
