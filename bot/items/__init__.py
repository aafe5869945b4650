"""Items: raw feed entries normalized into stories (canonical URL, identity, title, lede, language)."""
