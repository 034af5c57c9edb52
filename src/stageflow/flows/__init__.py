"""Flow runtimes: Python flows (decorators), declarative autolaunched flows, screen flows."""
