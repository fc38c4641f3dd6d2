"""Citizen reports: intake, routing, workflow, deadlines and the API."""
