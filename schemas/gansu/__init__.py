"""Data of the `gansu` spec: the comprehensive-inspection station interface (综检联网), reconstructed from public
implementations, not from the official text (../shared/specs/zongjian.md; the Gansu rollout guide is
002_c107fb07fe171571.txt). Every name lives in the tables so an official text can replace them.
"""
