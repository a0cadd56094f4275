"""The editor's desk: the queue and its ranking, decisions and undo, the learned model,
`brief check`, publishing an issue, sending it, and sources in and out (OPML)."""
