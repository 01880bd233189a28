"""What generation reads from outside: InstructLab taxonomies (`taxonomy.py`), the knowledge
documents they name and their chunks (`documents.py`), and the one loader of a seed column's rows
(`seed_rows.py`), shared by generation and the run's evaluation. All of it may be hostile input."""
