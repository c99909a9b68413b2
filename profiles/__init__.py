"""What tapeop learns from the event log: justification rules, questions, windows of
acceptability, habits and the aesthetic profile."""
