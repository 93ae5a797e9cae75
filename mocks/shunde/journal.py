"""The district mock's journal: the engine's Journal in batched mode (one transaction per socket read)."""
from __future__ import annotations

from harness.journal import Journal


class BatchJournal(Journal):
    """harness.journal.Journal with batch=True; flushed by the mock after each read and before each answer."""

    def __init__(self, path=None, *, keep: bool = True, max_pending: int = 2000):
        super().__init__(path, keep=keep, batch=True, max_pending=max_pending)

    @classmethod
    def beside(cls, journal: Journal | None) -> Journal:
        """The journal to use: the one given, switched to batched writes (its owner's close() flushes it)."""
        if journal is None:
            return cls(None)
        journal.batch = True
        return journal
