"""The civicpin Django project: settings, URLs and the spatial helpers every app shares."""
