"""Windows of acceptability: the range of a setting an engineer accepts, from their history and from probes."""
