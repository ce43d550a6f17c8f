"""Plumbing shared by every stage: the on-disk caches, validated-file snapshots, where data
lives, safe YAML reading, and settings read from the environment."""
