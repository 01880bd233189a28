"""Tools for trying recipes and measuring synthloom without a GPU, used by the tests and the
benchmarks too: a real OpenAI-compatible HTTP server with scripted, schema-valid answers,
latency, injected faults and the structured-output dialects of real servers, and a mixed-type
table with known structure."""
