"""The justification rules, one module each (see each module's docstring)."""
