"""zhenggai (整改): closed-loop management of inspection rectification."""

__version__ = "0.1.0"
