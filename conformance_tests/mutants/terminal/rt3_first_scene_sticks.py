"""A terminal configured once at the desk: the scene of the first presentation after start-up is
kept for every later report (the vendor's UI sets the scene on the first patient and nobody
changes it); the verification carries the right scene, the usage report does not."""

from __future__ import annotations

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def __init__(self) -> None:
        super().__init__()
        self.desk_scene: str | None = None

    def report_usage(self, scene: str | None, medium: str, **ids: str) -> None:
        if scene and self.desk_scene is None:
            self.desk_scene = scene
        super().report_usage(self.desk_scene if scene else None, medium, **ids)


MUTANT = TerminalMutant(
    "rt3-first-scene-sticks",
    "every usage report carries the scene of the first presentation since start-up",
    "usage scene",
    ("TERM-007",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
