"""Use cases. Services take the actor, ``now`` and plain data; they flush, never commit."""
