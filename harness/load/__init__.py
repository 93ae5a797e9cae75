"""`vconform load`: a spec's server role at province scale, on Locust (master + worker processes, any machines).

Kept light on purpose: the Locust processes import `harness.load.keys` (and so this package) under gevent.
The run itself is `harness.load.engine.run`; the Locust side is `harness/load/locustfile.py`; the traffic and
the checks are the spec's (`<suite package>.load`).
"""
