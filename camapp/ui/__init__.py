"""The PyQt6 live window (the only package that imports Qt)."""
