"""The user's settings (today: the theme) in a small JSON file in their config folder.

`$XDG_CONFIG_HOME/simtui/settings.json`, or `~/.config/simtui/settings.json` when that
variable is unset or not an absolute path (as the XDG spec says). Reading never fails: a
missing file is the defaults, and a file that cannot be read or is not what simtui
writes is ignored with a notice that says why. Writing is atomic and keeps the keys this
version does not know (a newer simtui may have written them).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simtui.files import atomic_write, read_regular, reason

MAX_BYTES = 64 * 1024
"""A settings file larger than this is not one simtui wrote."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What the user chose; None: the default."""

    theme: str | None = None


def settings_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the settings live."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "simtui" / "settings.json"


def _read(path: Path) -> tuple[dict[str, Any], str]:
    """The file's object, and a notice when it was ignored ("" when all is well)."""
    try:
        data = read_regular(path, MAX_BYTES + 1)
    except FileNotFoundError:
        return {}, ""
    except OSError as e:
        return {}, f"settings not read from {path}: {reason(e)}; using the defaults"
    if len(data) > MAX_BYTES:
        return {}, f"settings not read from {path}: larger than {MAX_BYTES} bytes"
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        return {}, f"settings in {path} are not valid JSON ({e}); using the defaults"
    if not isinstance(obj, dict):
        return {}, f"settings in {path} are not a JSON object; using the defaults"
    return obj, ""


def load(path: Path | None = None) -> tuple[Settings, str]:
    """The settings, and a notice to show when (part of) the file was ignored."""
    path = path or settings_path()
    obj, notice = _read(path)
    theme = obj.get("theme")
    if theme is not None and not isinstance(theme, str):
        return Settings(), f"settings in {path}: `theme` is not a name; using the default"
    return Settings(theme=theme), notice


def save(settings: Settings, path: Path | None = None) -> Path:
    """Write the settings atomically (OSError when that is not possible)."""
    path = path or settings_path()
    obj, notice = _read(path)
    if notice:
        obj = {}  # what was there is not simtui's: replaced, not merged
    if settings.theme is None:
        obj.pop("theme", None)
    else:
        obj["theme"] = settings.theme
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return atomic_write(path, data)
