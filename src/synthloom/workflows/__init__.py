"""Jobs that combine feature packages: the layer between the front doors (`cli/`, `api.py`)
and the features (generate, tabular, curate, evaluate), which never import each other. A
workflow owns the order of a job's stages and what each hands the next: evaluating a run or
tables and checking release gates on the report (`gates.py`), exporting a run only when its own
current report passes them (`release.py`), the demo's five stages (`demo.py`), and fitting and
sampling a tabular synthesizer from a spec and data files (`tabular_synth.py`). It returns
typed results and raises `SynthloomError` for user mistakes; printing and exit codes stay with
the caller. What a single feature can do alone stays in that feature."""
