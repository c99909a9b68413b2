"""The demo: a simulated engineer saving sessions of a synthesized band, each move recorded with
its reason. Only the command line (and the tests and benches) import it."""
