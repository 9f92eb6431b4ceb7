"""The process settings of rnnviz.runtime, each checked in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Allocates and frees 1 MB arrays, touching every page, and prints the page faults taken.
CHURN = """
import resource, sys
import numpy as np
from rnnviz.runtime import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
def churn():
    a, b = np.ones((1000, 128)), np.ones((1000, 128))  # (T, H): arrays of a 1000-step pass
    del a, b
churn()  # the first arrays take fresh pages either way
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    churn()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", CHURN, mode], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a glibc setting")
def test_kept_memory_is_reused_without_page_faults() -> None:
    # 40 arrays of 250 pages each: by default most of them are fresh pages.
    assert page_faults("default") > 2000
    assert page_faults("keep") < 100


def test_one_blas_thread_unless_the_user_chose() -> None:
    code = "import os; from rnnviz.runtime import prefer_one_blas_thread as p; p(); "
    code += "print(os.environ['OPENBLAS_NUM_THREADS'])"
    for given, expected in ((None, "1"), ("2", "2")):
        env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
        if given is not None:
            env["OPENBLAS_NUM_THREADS"] = given
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.stdout.strip() == expected
