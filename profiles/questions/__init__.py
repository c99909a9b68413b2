"""Down-time questions: the unexplained changes asked about, grouped by purpose and ranked by what
an answer would teach (build), and the appends that ask and answer them (ask)."""
