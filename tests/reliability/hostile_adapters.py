"""Hostile client-role adapters (issue 9): adapters that hang, drip, flood, print garbage or deeply nested JSON,
fork a child and exit or hang. Each row is a shell script body and what `Adapter.run` must make of it.

`Adapter.run` must return within the adapter timeout (plus a little), keep at most OUTPUT_CAP bytes of output,
kill the adapter's whole process group (a forked child included) when the call ends badly, and turn every
misbehaviour into a failed `adapter.completed` or an unusable output (a finding on the SUT), never an exception.
`$PIDFILE` is where a script writes the pid of a child it forks, so the test can see the child is gone."""
from __future__ import annotations

from dataclasses import dataclass

TIMEOUT = 2.0  # the adapter timeout the catalog runs with (`--adapter-timeout`)


@dataclass(frozen=True)
class Hostile:
    script: str             # /bin/sh script body; $PIDFILE names a file for a forked child's pid
    completed: bool         # adapter.completed holds (exit 0 in time, nothing left behind)
    output_error: str = ""  # a fragment of the output error a pull action sees ("" : none expected)
    timed_out: bool = False
    forks: bool = False     # the script forks a child that must be dead afterwards
    escapes: bool = False   # the child leaves the process group (setsid): the call must return all the same
    within: float = TIMEOUT + 30  # seconds the call may take at most (generous for a busy 2-core CI)


ADAPTERS: dict[str, Hostile] = {
    "hang": Hostile("sleep 600\n", completed=False, timed_out=True),
    "drip": Hostile("while true; do printf '['; sleep 0.5; done\n", completed=False, timed_out=True),
    "flood": Hostile("head -c 104857600 /dev/zero | tr '\\0' '['\nexit 0\n", completed=True,
                     output_error="longer than"),
    "garbage": Hostile("head -c 65536 /dev/urandom\nexit 0\n", completed=True, output_error="not JSON"),
    "deep-json": Hostile("\"$PYTHON\" -c \"import sys; n = 200000; sys.stdout.write('[' * n + ']' * n)\"\nexit 0\n",
                         completed=True, output_error="nested too deeply"),
    "fork-and-exit": Hostile("sleep 600 &\necho $! > \"$PIDFILE\"\necho '[]'\nexit 0\n", completed=False,
                             forks=True),
    "fork-and-hang": Hostile("sleep 600 &\necho $! > \"$PIDFILE\"\nsleep 600\n", completed=False, timed_out=True,
                             forks=True),
    # The child leaves the group and the session (setsid) but keeps the adapter's stdout: the harness finds it by the
    # pipe it holds (/proc/PID/fd), kills it and returns after PIPE_GRACE, not after waiting on the pipe.
    "setsid-holds-output": Hostile("setsid sleep 600 &\necho $! > \"$PIDFILE\"\necho '[]'\nexit 0\n",
                                   completed=False, escapes=True),
    "setsid-hangs": Hostile("setsid sleep 600 &\necho $! > \"$PIDFILE\"\nsleep 600\n", completed=False,
                            timed_out=True, escapes=True),
    "exit-1": Hostile("echo 'no platform' >&2\nexit 1\n", completed=False),
    "empty-array": Hostile("echo '[]'\n", completed=True),  # the control row: a well-behaved adapter
}
