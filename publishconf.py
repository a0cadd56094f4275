"""Settings for the public site: pelicanconf.py plus the real address."""

import os
import sys

sys.path.append(os.curdir)
from pelicanconf import *  # noqa: F403

SITEURL = "https://brief.example.com"
FEED_DOMAIN = SITEURL
DELETE_OUTPUT_DIRECTORY = True
