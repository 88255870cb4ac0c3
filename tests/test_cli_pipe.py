"""A command whose reader stops early (``camapp models list | head``) ends quietly."""

from __future__ import annotations

import shlex
import subprocess
import sys


def test_a_closed_pipe_is_not_an_error(models_dir):
    camapp = shlex.join([sys.executable, "-m", "camapp", "--models-dir", str(models_dir)])
    script = f'{camapp} models list | head -n 1; echo "status ${{PIPESTATUS[0]}}"'
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    first, status = result.stdout.splitlines()
    assert first.startswith("id")
    assert status == "status 0"
    assert "BrokenPipe" not in result.stderr and "Traceback" not in result.stderr
