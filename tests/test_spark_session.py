"""The session's settings reach the driver JVM, including those it reads as it launches."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

_CHILD = """
from linkguard.spark.session import spark_session

spark = spark_session("local[1]", {"spark.driver.memory": "640m", "spark.ui.enabled": "false"})
jvm = spark.sparkContext._jvm
print(jvm.java.lang.Runtime.getRuntime().maxMemory())
spark.stop()
"""


@pytest.mark.spark
def test_driver_memory_sizes_the_heap_of_the_jvm_it_launches():
    """``--spark-conf spark.driver.memory=…`` sets the heap of the driver JVM the session
    starts (set on the builder after the JVM is up, it would only be recorded, and the
    heap would stay at spark-submit's default of 1 GiB)."""
    pytest.importorskip("pyspark")
    env = {k: v for k, v in os.environ.items() if k != "PYSPARK_SUBMIT_ARGS"}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    out = subprocess.run(
        [sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    heap = int(out.stdout.strip().splitlines()[-1])
    assert 500 * 2**20 <= heap <= 640 * 2**20, heap
