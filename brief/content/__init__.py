"""The newsletter's files as records: articles, issues (and their weeks and movers), the
commerce calendar, figures, and the one writer of files under content/."""
