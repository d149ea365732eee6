"""The scripts the how-to guides in docs/howto/ run."""
