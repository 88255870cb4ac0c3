"""Shared foundations: errors, the ROI, config files, meters and progress bars."""
