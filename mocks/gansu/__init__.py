"""The Gansu provincial inspection platform mock (comprehensive-inspection networking, reconstructed)."""
