"""A run's stored shape and its life: its thread's lock, its lease, its settling."""
