"""The tutorial's programs, one per step of docs/tutorial/ (each runs as a script)."""
