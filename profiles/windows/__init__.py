"""Windows of acceptability: the range of one setting an engineer finds fine.

- `scales`: each setting's unit of one just-noticeable difference (published where known).
- `adaptive`: the three-answer probing method (not enough / fine / too much) over the two edges.
- `history`: passive windows from the values the engineer settled on across sessions.
- `probe`: a window probed with real renders of the track (`tapeop probe`, the TUI's probe screen).
"""
