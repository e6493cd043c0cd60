"""What every benchmark figure is stated with: the machine, its load, and the versions measured.

Figures from a shared 2-core machine move with whatever else runs on it, so each report also
records the load average; comparisons are ratios measured in the same run for the same reason.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    """The CPU model name from ``/proc/cpuinfo`` (or the platform's guess elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def versions(packages: tuple[str, ...]) -> dict[str, str | None]:
    """Installed version of each distribution, None for the ones that are not installed."""
    found: dict[str, str | None] = {}
    for package in packages:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = None
    return found


def machine(packages: tuple[str, ...] = ()) -> dict[str, Any]:
    """CPU model, cores, load, Python, platform and the versions of ``packages``."""
    return {
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions(("score-envs", "gymnasium", "numpy", "sympy", *packages)),
    }


def describe(info: dict[str, Any]) -> str:
    """One line for printouts: ``machine: <cpu>, <n> cores, load <l>, Python <v>``."""
    return (
        f"machine: {info['cpu_model']}, {info['cores']} cores, "
        f"load {info['load_average_1min']}, Python {info['python']}"
    )
