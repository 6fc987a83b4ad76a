#!/usr/bin/env python3
"""least-loaded: a worked example of a Fulcrum strategy in Python.

Power of two choices over in-flight counts, with latency as the tie-break:
draw two distinct healthy backends uniformly at random (from the
engine-seeded generator, so a seed fixes every choice) and send the request
to the one with fewer requests in flight; on a tie, to the one with the
lower exponentially weighted moving average of its recent latencies; on a
tie again, to the first drawn (a uniformly random one of the two).

    EWMA <- EWMA + alpha * (latency - EWMA)     on each finished request

A backend not yet measured has EWMA 0, so new backends get tried. Failed
requests count like the others: a backend that fails fast should not look
fast, so their latency is taken as at least the backend's EWMA.

Params: alpha (float in (0, 1], default 0.3).

Run it from a scenario as {name: external, command: "python3 least_loaded.py"}.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fulcrum_strategy as fs  # noqa: E402


class LeastLoaded(fs.Strategy):
    name = "least-loaded"

    def __init__(self, seed, params):
        super().__init__(seed, params)
        unknown = set(params) - {"alpha"}
        if unknown:
            raise fs.StrategyError("unknown params %s (known: alpha)" % sorted(unknown))
        self.alpha = float(params.get("alpha", 0.3))
        if not 0 < self.alpha <= 1:
            raise fs.StrategyError("alpha %r is not in (0, 1]" % self.alpha)
        self.healthy = []    # ids of the healthy backends, sorted
        self.inflight = {}   # id -> requests in flight; kept across updates
        self.ewma = {}       # id -> EWMA of latency in ns; kept across updates

    def update(self, now, backends):
        super().update(now, backends)
        self.healthy = [b.id for b in backends if b.healthy]

    def finished(self, id, now, latency, ok):
        n = self.inflight.get(id, 0)
        if n > 0:  # never below zero, whatever the engine sends
            self.inflight[id] = n - 1
        e = self.ewma.get(id, 0.0)
        if not ok:
            latency = max(latency, e)
        self.ewma[id] = e + self.alpha * (latency - e)

    def pick(self, now, key):
        h = self.healthy
        n = len(h)
        if n == 0:
            return None
        if n == 1:
            best = h[0]
        else:
            # Two distinct, uniformly: the second is uniform over the other
            # n-1 (randrange is stable across Python versions, sample is not
            # promised to be).
            i = self.random.randrange(n)
            j = self.random.randrange(n - 1)
            if j >= i:
                j += 1
            a, b = h[i], h[j]
            la, lb = self.inflight.get(a, 0), self.inflight.get(b, 0)
            if la != lb:
                best = a if la < lb else b
            else:
                best = a if self.ewma.get(a, 0.0) <= self.ewma.get(b, 0.0) else b
        self.inflight[best] = self.inflight.get(best, 0) + 1
        return best


if __name__ == "__main__":
    fs.run(LeastLoaded)
