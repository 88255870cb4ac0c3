"""`camapp bench`'s default amounts of measuring, apart: the CLI parser imports no more."""

#: Seconds of invoke-only measurement per model and runtime (over all rounds).
DEFAULT_DURATION = 1.5
#: Seconds of the end-to-end pipeline phase per model and runtime (over all rounds): long
#: enough for a stable median (0.5 s let the overhead drift from 0.77 to 2.12).
DEFAULT_E2E_SECONDS = 3.0
#: Round-robin rounds the duration is split into.
DEFAULT_ROUNDS = 3
#: Invokes (or pipeline predictions) discarded before each measured phase.
DEFAULT_WARMUP = 10
