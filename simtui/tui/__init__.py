"""The Textual app: the player screen and its panes (the only package that imports Textual)."""
