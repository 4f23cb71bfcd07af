"""Reports: from a sweep directory to tidy tables, statistics, charts and a slide deck."""
