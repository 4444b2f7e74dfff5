"""The player's panes: each one only renders the `PlayerView` it is given."""
