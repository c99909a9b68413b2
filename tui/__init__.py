"""The Textual terminal UI (`tapeop ask`). Nothing else imports it."""
