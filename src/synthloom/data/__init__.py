"""Tables and their files, InstructLab taxonomies, and the run store."""
