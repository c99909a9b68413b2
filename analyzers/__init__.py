"""Pure measurement of audio (loudness, true peak, spectrum, masking, tempo grid).

Imports nothing of tapeop's own: it is usable on its own and testable against theory."""
