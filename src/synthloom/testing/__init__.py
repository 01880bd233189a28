"""Tools for testing recipes without a GPU: a scripted OpenAI-compatible server."""
