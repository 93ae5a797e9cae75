"""The `gansu` spec: comprehensive-inspection station networking (reconstructed from public implementations)."""
