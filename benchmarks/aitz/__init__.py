"""AITZ (Android-in-the-Zoo): loader, action conversion, both metric families, runner.

- ``loader``: the on-disk layout (subset folders, one JSON per episode, screenshots beside).
- ``actions``: AITZ ground truth → project actions in pixels, and any action → a ``Gesture``
  (the AITZ/AITW view both metric families compare).
- ``metrics_aitw``: the AITW action-matching rule (google-research ``action_matching``).
- ``metrics_coat``: the CoAT evaluator's type match / exact match and episode metrics.
- ``runner``: step-level evaluation under ground-truth history, resumable, and scoring of
  predictions made elsewhere.
"""
