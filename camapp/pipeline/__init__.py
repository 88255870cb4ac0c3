"""The headless pipeline: inference worker, listener protocol, rate meters."""
