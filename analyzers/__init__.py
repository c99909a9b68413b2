"""Pure measurement of audio (loudness, true peak, spectrum, masking, tempo grid).

Imports nothing of tapeop's own: it is usable on its own and testable against theory.

One sample layout: every analyzer takes planar float32 blocks, shape (channels, frames),
C-contiguous, since the filters and FFTs run along each channel's contiguous samples. Outside
`analyzers` audio is held as soundfile gives it, (frames, channels) float32 (decoded files, the
demo's stems, test signals); the conversion is made once, at the way in: `analyzers.audio`
(`planar()` for arrays, `FileSource` for files, decoding block by block).
"""
