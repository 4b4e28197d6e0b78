"""A Python peer for the site's sessions (docs/protocol.md): bots and scripts join, or host, like browsers do."""
