"""Comparisons: one scenario (or several) on several runtimes and option variants, side by side."""
