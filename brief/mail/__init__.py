"""Email: the digest (HTML, text, .eml), the headers of every message we write, the SMTP
transport, and the double opt-in confirmation."""
