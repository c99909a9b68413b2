"""The audio a session refers to, found and streamed from its archive or folder (never from
outside it), and audio files measured through the log's analysis cache."""
