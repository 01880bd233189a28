"""synthloom: synthetic training data people can trust."""

__version__ = "0.1.0"
