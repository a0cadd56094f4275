"""The website: our Pelican plugin, reader and site model, the pages' checks, the search
index, the sitemap, the incremental writer, and the build itself."""
