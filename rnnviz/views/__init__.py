"""Qt views: each takes the session, listens to its events and redraws itself."""
