"""Use cases and ports. Imports the domain; never infra or interfaces."""
