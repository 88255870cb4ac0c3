"""``camapp bench``: measure load time, invoke latency and pipeline throughput of variants."""
