"""Fidelity: the runtimes schedule every bundled scenario as they did when the references
were recorded (the same task-run order and ready-queue order)."""
