"""The teaching voice, one module per runtime (`runtimespec.RuntimeSpec.voice` names it)."""
