"""simtui: watch real Python concurrency runtimes schedule work, switch by switch."""

__version__ = "0.1.0"
