"""The trace: the JSONL record of one real run, its reading, writing and exports."""
