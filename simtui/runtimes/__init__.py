"""Real runtimes, instrumented: each runs a scenario in the worker process under a probe."""
