"""The exhibition kiosk: a full-screen view over the same headless Session as the window."""
