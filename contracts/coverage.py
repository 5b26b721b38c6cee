"""Coverage: which boundaries and enum values a run actually sent, by encoding (for the reports)."""

from __future__ import annotations

from collections import Counter, defaultdict


class Coverage:
    """Which boundaries and enum values were actually exercised, by encoding."""

    def __init__(self) -> None:
        self.boundaries: dict[str, set[int]] = defaultdict(set)
        self.enums: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
        self.generated: Counter = Counter()
        self.operations: Counter = Counter()

    def boundary(self, name: str, value: int) -> None:
        self.boundaries[name].add(value)

    def enum(self, name: str, value: str, encoding: str) -> None:
        self.enums[name][encoding][value] += 1

    def as_dict(self) -> dict:
        return {
            "boundaries": {k: sorted(v) for k, v in sorted(self.boundaries.items())},
            "enums": {name: {enc: dict(sorted(values.items())) for enc, values in sorted(by_enc.items())}
                      for name, by_enc in sorted(self.enums.items())},
            "generated": dict(self.generated),
            "operations": dict(sorted(self.operations.items())),
        }
