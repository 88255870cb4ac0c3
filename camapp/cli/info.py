"""``camapp info`` (and ``--version``): camapp, runtime, OpenCV, NumPy and Python versions."""

from __future__ import annotations

import argparse
import sys

from camapp import __version__
from camapp.base.errors import CamappError


def cmd_info(args: argparse.Namespace) -> int:
    """Prints one ``name version`` line per component; a missing runtime is named, not fatal.

    Returns:
        0.
    """
    import cv2
    import numpy

    from camapp.inference.runtime import default_threads, load_runtime

    try:
        runtime = load_runtime(args.runtime)
        runtime_text = f"{runtime.name} {runtime.version}"
    except CamappError as exc:
        runtime_text = f"none ({exc})"
    print(f"camapp {__version__}")
    print(f"runtime {runtime_text}")
    print(f"opencv {cv2.__version__}")
    print(f"numpy {numpy.__version__}")
    print(f"python {sys.version.split()[0]}")
    print(f"threads {default_threads()}")
    return 0
