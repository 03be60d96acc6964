"""Signature registry (versioned data files) and the scoring engine."""
