"""Files at rest: tables read and written as Arrow (`tables.py`), conversion to and from pandas or
polars at the edges (`frames.py`), writes a reader never sees half done (`atomic.py`), and the
rule that synthloom writes only into folders it made or that are empty (`output_folder.py`)."""
