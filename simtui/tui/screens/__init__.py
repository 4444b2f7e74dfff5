"""The simtui screens other than the player: editor, open scenario, runtime picker, confirm."""
