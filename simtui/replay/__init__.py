"""The replay model: pure, derived state of a trace at any event, with keyframes."""
