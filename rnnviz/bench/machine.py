"""The machine line every benchmark prints first: timings mean little without it."""

from __future__ import annotations

import os
import platform

import numpy as np


def machine_line() -> str:
    """CPU, cores, Python, NumPy, BLAS threads and the load average at the time of the run.

    The load says whether the machine was shared at the time: a ratio of two timings taken
    in turns stays fair under load, an absolute time does not.
    """
    cpu = _cpu_name() or platform.processor() or platform.machine()
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return (
        f"machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {np.__version__}, OpenBLAS threads: {blas}, load average (1, 5, 15 min): {load}"
    )


def _cpu_name() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None
