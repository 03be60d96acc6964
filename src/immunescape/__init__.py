"""immunescape: immune-checkpoint-blockade resistance mechanisms from DNA and RNA."""

from immunescape._version import __version__

__all__ = ["__version__"]
