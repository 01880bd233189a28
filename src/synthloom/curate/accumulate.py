"""How many rows each source gives an accumulated mix (config/mix.py `accumulate`): every real and
synthetic source at once, with the real share the user sets met by sampling down the side above
its share, each source of that side in proportion to its rows (largest remainder), so every
generation stays in the mix."""

from __future__ import annotations

from synthloom.config.errors import SynthloomError
from synthloom.config.mix import Accumulate, MixSource


def _split(total: int, available: dict[str, int]) -> dict[str, int]:
    """`total` rows over sources in proportion to what each has (largest remainder)."""
    whole = sum(available.values())
    if total >= whole:
        return dict(available)
    exact = {k: total * n / whole for k, n in available.items()}
    counts = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: (counts[k] - exact[k], k))[: total - sum(counts.values())]:
        counts[k] += 1
    return counts


def accumulate_counts(plan: Accumulate, sources: dict[str, MixSource], available: dict[str, int]) -> dict[str, int]:
    real = {k: n for k, n in available.items() if sources[k].real}
    synthetic = {k: n for k, n in available.items() if not sources[k].real}
    if plan.real_share is None:
        return dict(available)
    share = plan.real_share
    have_real, have_synthetic = sum(real.values()), sum(synthetic.values())
    if plan.rows is not None:
        want_real = round(share * plan.rows)
        want_synthetic = plan.rows - want_real
        if want_real > have_real or want_synthetic > have_synthetic:
            raise SynthloomError(
                f"accumulate: {plan.rows} rows at a real share of {share:g} need {want_real} real and "
                f"{want_synthetic} synthetic rows; the sources have {have_real} and {have_synthetic}; ask for fewer rows")
    else:  # as many rows as the scarcer side allows at this share
        total = min(have_real / share, have_synthetic / (1 - share))
        want_real = round(share * total)
        want_synthetic = min(have_synthetic, round(total) - want_real)
    if want_real < 1 or want_synthetic < 1:
        raise SynthloomError(f"accumulate: a real share of {share:g} leaves no rows on one side; "
                             "the real or synthetic sources are empty")
    return {**_split(want_real, real), **_split(want_synthetic, synthetic)}
