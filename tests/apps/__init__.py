"""Real applications the desktop tests drive on a virtual X server."""
