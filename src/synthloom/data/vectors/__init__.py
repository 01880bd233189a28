"""Measures on sets of points (embeddings, table features) that several features share."""
