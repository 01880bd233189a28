"""Errors that are the user's to fix: the CLI prints their message, not a traceback."""


class SynthloomError(Exception):
    """A user-facing error: one sentence saying what is wrong, where, and how to fix it."""


class RecipeError(SynthloomError):
    """A recipe that cannot be used as written."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None):
        where = ""
        if source:
            where = f"{source}:{line}: " if line else f"{source}: "
        super().__init__(where + message)
        self.source = source
        self.line = line
