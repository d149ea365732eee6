from twisted_wsgi_lab.bench.load_result import LoadResult


def test_a_load_result_survives_a_round_trip_through_json_with_its_rate() -> None:
    result = LoadResult(
        tool="loadgen",
        url="http://127.0.0.1:8080/",
        connections=4,
        duration_seconds=2.0,
        requests=1000,
        errors=1,
        status_counts={"200": 1000},
        latency_ms={"p50": 1.5, "p99": 9.0, "max": 12.0},
    )
    data = result.to_json()
    assert data["requests_per_second"] == 500.0
    assert LoadResult.from_json(data) == result


def test_a_run_that_took_no_time_reports_no_rate_instead_of_dividing_by_zero() -> None:
    result = LoadResult(
        tool="wrk", url="u", connections=1, duration_seconds=0.0, requests=0, errors=0
    )
    assert result.requests_per_second == 0.0
