"""reviewtool: review QEMU patch series before a human spends time on them."""

__version__ = "0.1.0"
