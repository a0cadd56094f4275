"""The shared ground every part stands on: errors, settings, paths, how text is marked up
and shown on a terminal, the site's URL scheme, checked email addresses."""
