"""Settings for the public site: pelicanconf.py plus the real address."""

import os
import sys

sys.path.append(os.curdir)
from pelicanconf import *  # noqa: F403

SITEURL = "https://brief.example.com"
# The public build has a folder of its own: `make serve` keeps showing output/, the
# preview, whatever `brief issue publish` builds. Copy public/ to the web server.
OUTPUT_PATH = "public"
FEED_DOMAIN = SITEURL
# Behind the same host as the site (see the README for a Caddy or nginx snippet).
BRIEF_SUBSCRIPTIONS = {**BRIEF_SUBSCRIPTIONS, "url": f"{SITEURL}/subscriptions/"}  # noqa: F405
DELETE_OUTPUT_DIRECTORY = True
