"""Windows of acceptability: the range of one setting an engineer finds fine, found by probes
(adaptive) in units of one just-noticeable difference of that setting (scales)."""
