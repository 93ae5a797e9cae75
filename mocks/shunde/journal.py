"""The district mock's journal: the engine's Journal in batched mode. Position frames nobody answers are journaled
raw (harness.jt809.journalview builds their views when read) and committed in batches; every answer commits
everything before it first."""
from __future__ import annotations

from harness.journal import Journal
from harness.jt809.journalview import VIEW, finding, settle_body

__all__ = ["BatchJournal", "VIEW", "finding", "settle_body"]


class BatchJournal(Journal):
    """harness.journal.Journal with batch=True; flushed by the mock after reads and before each answer."""

    def __init__(self, path=None, *, keep: bool = True, max_pending: int = 2000):
        super().__init__(path, keep=keep, batch=True, max_pending=max_pending)

    @classmethod
    def beside(cls, journal: Journal | None) -> Journal:
        """The journal to use: the one given, switched to batched writes (its owner's close() flushes it)."""
        if journal is None:
            return cls(None)
        journal.batch = True
        return journal
