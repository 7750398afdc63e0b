"""The Scrapy spider and its pipeline into the gallery."""
