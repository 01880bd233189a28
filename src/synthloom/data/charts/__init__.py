"""Charts for the self-contained HTML reports (evaluation, collapse): matplotlib figures as
inline PNG."""
