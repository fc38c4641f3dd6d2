"""User accounts: registration, API tokens, citizen profiles and roles."""
