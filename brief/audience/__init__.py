"""The readers: subscribers and their list, signed links, bounce and complaint reports,
the confirmation queue, and the public subscription service."""
