"""Inference: label files, the TFLite classifier and its pure helpers."""
