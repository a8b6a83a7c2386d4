"""The served benchmark's arithmetic (the bench itself runs in `make test`'s smoke step)."""

from benchmarks.served import growth, summary


def test_growth_names_the_exponent_between_the_smallest_and_largest_size():
    assert growth([(10_000, 5.0), (1_000_000, 5.2)]).startswith("flat")
    assert growth([(10_000, 5.0), (1_000_000, 30.0)]).startswith("log-like")
    assert growth([(10_000, 1.0), (1_000_000, 100.0)]).startswith("linear-ish")
    assert growth([(10_000, 1.0)]) == "one size only"
    assert growth([(10_000, 0.0), (100_000, 1.0)]) == "n/a"


def test_summary_p95_is_an_observed_sample():
    stats = summary([float(i) for i in range(1, 101)])
    assert stats == {"p50": 50.5, "p95": 95.0, "n": 100}
    assert summary([3.0]) == {"p50": 3.0, "p95": 3.0, "n": 1}
