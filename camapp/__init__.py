"""camapp: live camera recognition with quantised MobileNets."""

__version__ = "0.1.0"
