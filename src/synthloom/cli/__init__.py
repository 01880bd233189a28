"""The typer app: parse, call the library, print."""
