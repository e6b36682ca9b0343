"""Application services (Qt-free): workspace, jobs, settings, plugins."""
