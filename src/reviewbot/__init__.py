"""reviewbot: graded code reviews of learners' Python backend repositories."""

__version__ = "0.1.0"
