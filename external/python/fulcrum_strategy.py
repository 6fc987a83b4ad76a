"""Write a Fulcrum load-balancing strategy in Python (stdlib only).

Fulcrum's engines (the simulator and the HTTP proxy) run the strategy as a
child process and talk to it over stdin/stdout, one JSON object per line;
external/PROTOCOL.md is the specification. This module does the talking:
subclass Strategy, then call run(YourStrategy) from your script's main.

    import fulcrum_strategy as fs

    class First(fs.Strategy):
        name = "first-healthy"

        def pick(self, now, key):
            for b in self.backends:
                if b.healthy:
                    return b.id
            return None

    if __name__ == "__main__":
        fs.run(First)

Rules: stdout carries the protocol, so log to stderr (print(..., file=
sys.stderr)). Draw every random number from self.random (seeded by the
engine) so that the same seed gives the same choices. Raise
fs.StrategyError (or any exception) from __init__ to refuse bad params:
the engine reports its message.
"""

import json
import random
import sys
from collections import namedtuple

PROTOCOL_VERSION = 1

Backend = namedtuple("Backend", "id name weight healthy")
Backend.__doc__ = """One backend: id (stable, never reused), name, weight (> 0), healthy."""


class StrategyError(Exception):
    """A problem the engine should report, e.g. a bad param."""


class Strategy:
    """Base class: override the methods you need.

    The engine's contract (the same as for Go strategies): every pick that
    returns an id counts one request in flight on that backend from then on;
    exactly one started and one finished follow for it, whatever the
    outcome; finished takes it out of flight. Times are integers of
    nanoseconds since the start of the run (virtual in the simulator), and
    never go backwards.
    """

    name = "unnamed"

    def __init__(self, seed, params):
        """seed: an int in [0, 2**53); params: a dict from the scenario."""
        self.random = random.Random(seed)
        self.params = params
        self.backends = []  # sorted by id, as of the latest update

    def update(self, now, backends):
        """The whole backend set (a list of Backend, sorted by id).

        Unhealthy backends stay listed so that hash tables stay stable; a
        backend missing from the list has been removed."""
        self.backends = backends

    def started(self, id, now):
        """The request picked for id has been sent."""

    def finished(self, id, now, latency, ok):
        """A request to id ended after latency ns; ok is False for
        failures, 5xx answers and timeouts."""

    def pick(self, now, key):
        """Return the id of a healthy backend, or None if none is eligible.

        key is the request's pre-hashed client identity (an int < 2**64;
        0 when there is none)."""
        raise NotImplementedError


def _error(out, message):
    out.write(json.dumps({"error": message}).encode() + b"\n")
    out.flush()


def run(factory, stdin=None, stdout=None):
    """Speak the protocol on stdin/stdout until stdin closes.

    factory(seed, params) makes the strategy, usually its class."""
    inp = stdin or sys.stdin.buffer
    out = stdout or sys.stdout.buffer
    line = inp.readline()
    if not line:
        return
    init = json.loads(line)
    if init.get("type") != "init":
        _error(out, "expected init, got %r" % line[:200])
        sys.exit(2)
    if init.get("version") != PROTOCOL_VERSION:
        _error(out, "this library speaks protocol version %d, not %r"
               % (PROTOCOL_VERSION, init.get("version")))
        sys.exit(2)
    try:
        strategy = factory(init["seed"], init.get("params") or {})
    except StrategyError as e:
        _error(out, str(e))
        sys.exit(2)
    except Exception as e:  # report it, not just a traceback on stderr
        _error(out, "%s: %s" % (type(e).__name__, e))
        sys.exit(2)
    out.write(json.dumps({"type": "hello", "name": strategy.name,
                          "version": PROTOCOL_VERSION}).encode() + b"\n")
    out.flush()

    loads = json.loads
    for line in iter(inp.readline, b""):
        msg = loads(line)
        t = msg["type"]
        # Most frequent first: every request brings a pick and a finished.
        if t == "pick":
            id = strategy.pick(msg["now"], int(msg["key"]))
            if id is None:
                out.write(b'{"none":true}\n')
            else:
                out.write(b'{"id":%d}\n' % id)
            out.flush()
        elif t == "finished":
            strategy.finished(msg["id"], msg["now"], msg["latency"], msg["ok"])
        elif t == "started":
            strategy.started(msg["id"], msg["now"])
        elif t == "update":
            strategy.update(msg["now"], sorted(
                (Backend(b["id"], b["name"], b["weight"], b["healthy"])
                 for b in msg["backends"]), key=lambda b: b.id))
        else:
            # The engine sends only the messages of the version both sides
            # said; a new type here is a bug, not something to ignore.
            _error(out, "unknown message type %r" % t)
            sys.exit(2)
