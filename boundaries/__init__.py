"""Administrative areas in versioned generations, their import, and point lookup."""
