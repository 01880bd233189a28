"""The `synthloom` command: each command parses its arguments, calls one library or workflow
function and prints the result; user mistakes become one line and an exit code (a traceback only
with `--debug`), and every string that is not ours is printed as plain text (`safe_text.py`)."""
