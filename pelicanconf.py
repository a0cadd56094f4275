"""Settings of the Live Commerce Brief newsletter (Pelican's and ours, which start BRIEF_)."""

AUTHOR = "Live Commerce Brief editors"
SITENAME = "Live Commerce Brief"
SITESUBTITLE = "Weekly market intelligence on livestream commerce"
SITEURL = ""  # publishconf.py sets the public address
PATH = "content"
OUTPUT_PATH = "output"
THEME = "themes/brief"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%-d %B %Y"

PLUGINS = ["brief.site.plugin"]

ARTICLE_PATHS = ["articles"]
PAGE_PATHS = ["pages"]
STATIC_PATHS: list[str] = []
READERS = {"html": None}

# Templates escape every value unless it is marked as HTML (`|safe`): feed text that slipped
# through anywhere else still cannot become markup.
JINJA_ENVIRONMENT = {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True}

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.meta": {},
        "markdown.extensions.smarty": {},
    },
    "output_format": "html5",
}

# Pretty URLs: /articles/2026/<slug>/, /issues/2026-w46/, /sections/platforms/ ...
ARTICLE_URL = "articles/{date:%Y}/{slug}/"
ARTICLE_SAVE_AS = "articles/{date:%Y}/{slug}/index.html"
DRAFT_URL = "drafts/{slug}/"
DRAFT_SAVE_AS = "drafts/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
CATEGORY_URL = "sections/{slug}/"
CATEGORY_SAVE_AS = "sections/{slug}/index.html"
CATEGORIES_URL = "sections/"
CATEGORIES_SAVE_AS = "sections/index.html"
TAG_URL = "tags/{slug}/"
TAG_SAVE_AS = "tags/{slug}/index.html"
TAGS_URL = "tags/"
TAGS_SAVE_AS = "tags/index.html"
ARCHIVES_URL = "archive/"
ARCHIVES_SAVE_AS = "archive/index.html"
SEARCH_URL = "search/"
SEARCH_SAVE_AS = "search/index.html"
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
DIRECT_TEMPLATES = ["index", "categories", "tags", "archives", "search"]
DEFAULT_PAGINATION = False
RELATIVE_URLS = False

# Rebuilds: Pelican re-reads only changed Markdown; our writer re-renders only changed
# article pages (brief/incremental.py).
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = "data/cache"
GZIP_CACHE = False  # faster to write and read than to keep small

FEED_DOMAIN = SITEURL
FEED_MAX_ITEMS = 50
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/sections/{slug}.atom.xml"
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
BRIEF_ISSUES_FEED = "feeds/issues.atom.xml"

# --- Live Commerce Brief -------------------------------------------------------------------
# Sections of an issue, in the order they appear.
BRIEF_SECTIONS = ["Platforms", "Retail & brands", "Creators & hosts", "China & Asia", "Deals"]
# How `brief accept` guesses a section from the main entity (content/entities.toml).
BRIEF_SECTION_BY_REGION = {"CN": "China & Asia", "SEA": "China & Asia"}
BRIEF_SECTION_BY_KIND = {"retailer": "Retail & brands", "vendor": "Deals"}
BRIEF_MIN_ARTICLES = 3  # fewer articles in an issue is a warning in `brief check`

BRIEF_FEEDS = "feeds.toml"
BRIEF_DB = "data/brief.sqlite"
BRIEF_ENTITIES = "content/entities.toml"
BRIEF_RELEVANCE = "relevance.toml"
BRIEF_SEARCH = True  # build the Pagefind index after the site
# Bounds of every fetch (defaults shown): seconds, bytes, redirects, connections per host.
BRIEF_FETCH = {
    "connect_timeout": 10,
    "deadline": 30,
    "max_bytes": 15 * 1024 * 1024,
    "max_redirects": 5,
    "per_host": 2,
}

# Sending (`brief send`). The password is read only from the environment variable named here.
BRIEF_SMTP = {
    "host": "localhost",
    "port": 587,
    "security": "starttls",
    "user": None,
    "password_env": "BRIEF_SMTP_PASSWORD",
}

BRIEF_DIGEST = {
    "sender": "Live Commerce Brief <brief@example.com>",
    "unsubscribe_mailto": "unsubscribe@example.com",
    # CAN-SPAM wants a postal address in commercial email; `brief send` refuses without one.
    "postal_address": "Live Commerce Brief, 1 Example Street, Springfield 00000 (a sample address)",
    "utm": {},  # e.g. {"source": "newsletter", "medium": "email"}; off by default
    # Count clicks per issue and per story (never per reader) through the subscription
    # service: "all", "html" (the plain-text part keeps direct links) or "off".
    "clicks": "all",
}

# The subscription service (`brief subscriptions serve`): sign-up with double opt-in,
# confirmation and true one-click unsubscribe. Its public address; it signs its links with
# the secret in the environment variable BRIEF_SECRET. publishconf.py sets the public URL;
# to try it locally with the site: `brief --settings pelicanconf.py subscriptions serve
# --site output`, then http://127.0.0.1:8080/.
BRIEF_SUBSCRIPTIONS = {
    "url": "http://127.0.0.1:8080/subscriptions/",
    "per_address": 3,  # confirmation emails to one address per day
    "per_client": 20,  # sign-ups from one client per hour
}
