"""Server-rendered pages for citizens, ward officials and planners."""
