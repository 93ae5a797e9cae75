"""A forwarder as a DESIGN.md adapter: `connect` starts a background daemon holding the links, later actions talk to it.

Files in the adapter's state_dir: daemon.pid (the harness kills a leftover daemon by it when the session
closes), forwarder.json (status and control port), forwarder.log (the daemon's output). The control channel
is one JSON line each way over a loopback TCP connection.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness import specdata
from suites.shunde.forwarder import Forwarder, ForwarderConfig, ForwarderError

ACTIONS = tuple(specdata.interfaces_of_kind("shunde", "action"))
STATE, PID, LOG = "forwarder.json", "daemon.pid", "forwarder.log"
START_WAIT_S = 45.0       # connect: how long to wait for the daemon to log in (ends as soon as it has)
CONTROL_WAIT_S = 120.0    # one control command (sending many positions, a disconnect)
MAX_LIFETIME_S = 1800.0   # a daemon nobody stopped ends itself after this


# ---- the adapter side ------------------------------------------------------------------------------------

def run_adapter(cls: type[Forwarder], argv: list[str], daemon_cmd: list[str]) -> int:
    """Adapter main; `daemon_cmd + ["--daemon", CONTEXT]` re-runs this program as the daemon."""
    if len(argv) == 2 and argv[0] == "--daemon":
        return asyncio.run(daemon_main(cls, argv[1]))
    if len(argv) != 2 or argv[0] not in ACTIONS:
        print(f"usage: ADAPTER ACTION CONTEXT_FILE; actions: {', '.join(ACTIONS)}", file=sys.stderr)
        return 2
    action, ctx_path = argv
    ctx = json.loads(Path(ctx_path).read_text("utf-8"))
    state_dir = Path(ctx["state_dir"])
    state_dir.mkdir(parents=True, exist_ok=True)
    if action == "connect":
        return start_daemon(state_dir, daemon_cmd + ["--daemon", str(Path(ctx_path).resolve())])
    answer = control(state_dir, {"cmd": action, "params": ctx.get("params") or {}})
    if action == "disconnect":
        stop_daemon(state_dir)
    if not answer.get("ok"):
        print(f"{action}: {answer.get('error', 'failed')}", file=sys.stderr)
        return 1
    print(json.dumps({k: v for k, v in answer.items() if k != "ok"}, ensure_ascii=False), file=sys.stderr)
    return 0


def read_state(state_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((state_dir / STATE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def alive(pid: int) -> bool:
    """True while the process runs (a zombie waiting for a parent that never reaps it counts as ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rindex(")") + 2] != "Z"
    except (OSError, ValueError, IndexError):
        return True


def start_daemon(state_dir: Path, cmd: list[str]) -> int:
    stop_daemon(state_dir)  # a second connect starts afresh
    (state_dir / STATE).unlink(missing_ok=True)
    with open(state_dir / LOG, "ab") as log:
        # Own session and no inherited pipes: the adapter process exits while the daemon carries on.
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    (state_dir / PID).write_text(str(proc.pid))
    deadline = time.monotonic() + START_WAIT_S
    while time.monotonic() < deadline:
        st = read_state(state_dir)
        if st.get("status") not in (None, "starting"):
            break
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    st = read_state(state_dir)
    if st.get("status") == "logged_in":
        print(f"logged in; slave link server on port {st.get('slave_port')}", file=sys.stderr)
        return 0
    reason = st.get("error") or (f"0x1002 RESULT {st['result']}" if st.get("result") is not None else
                                 f"daemon status {st.get('status', 'unknown')}")
    print(f"connect: {reason}", file=sys.stderr)
    stop_daemon(state_dir)
    return 1


def stop_daemon(state_dir: Path, wait_s: float = 10.0) -> None:
    """End the daemon recorded in state_dir (SIGTERM, then SIGKILL) and wait for it."""
    try:
        pid = int((state_dir / PID).read_text().strip())
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + wait_s
    sent_term = False
    while alive(pid) and time.monotonic() < deadline:
        if not sent_term:
            _signal(pid, signal.SIGTERM)
            sent_term = True
        _reap(pid)
        time.sleep(0.05)
    if alive(pid):
        _signal(pid, signal.SIGKILL)
        _reap(pid)
    (state_dir / PID).unlink(missing_ok=True)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def control(state_dir: Path, request: dict[str, Any]) -> dict[str, Any]:
    """Send one command to the running daemon; its JSON answer, or {"ok": false, "error": ...}."""
    st = read_state(state_dir)
    port = st.get("control_port")
    if not port or st.get("status") != "logged_in":
        return {"ok": False, "error": f"not connected (daemon status {st.get('status', 'none')})"}
    return asyncio.run(_control(int(port), request))


async def _control(port: int, request: dict[str, Any]) -> dict[str, Any]:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(json.dumps(request, ensure_ascii=False).encode() + b"\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), CONTROL_WAIT_S)
        writer.close()
        return json.loads(line) if line else {"ok": False, "error": "the daemon closed the control channel"}
    except (OSError, asyncio.TimeoutError, ValueError) as exc:
        return {"ok": False, "error": f"daemon control: {type(exc).__name__}: {exc}"}


# ---- the daemon side ---------------------------------------------------------------------------------------

def write_state(state_dir: Path, **state: Any) -> None:
    tmp = state_dir / (STATE + ".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), **state}), "utf-8")
    os.replace(tmp, state_dir / STATE)


async def daemon_main(cls: type[Forwarder], ctx_path: str) -> int:
    ctx = json.loads(Path(ctx_path).read_text("utf-8"))
    state_dir = Path(ctx["state_dir"])
    write_state(state_dir, status="starting")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        fw = cls(ForwarderConfig.from_context(ctx))
        result = await fw.connect()
    except (ForwarderError, OSError, ValueError, KeyError) as exc:
        write_state(state_dir, status="failed", error=f"{type(exc).__name__}: {exc}")
        return 1
    if result != 0:
        write_state(state_dir, status="refused", result=result)
        await fw.close()
        return 1

    inflight: set[asyncio.Task] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        inflight.add(asyncio.current_task())
        req: dict[str, Any] = {}
        try:
            req = json.loads(await reader.readline())
            answer = await _command(fw, req)
        except Exception as exc:  # one bad command must not take the links down
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        try:
            writer.write(json.dumps(answer, ensure_ascii=False).encode() + b"\n")
            await writer.drain()
            writer.close()
        finally:
            inflight.discard(asyncio.current_task())
            if req.get("cmd") == "disconnect":
                stop.set()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    write_state(state_dir, status="logged_in", result=0, control_port=server.sockets[0].getsockname()[1],
                slave_port=fw.slave_port)
    # Ends on `disconnect`, a signal, or the platform closing the main link: if the harness dies, its
    # in-process platform goes with it and so does this daemon.
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(fw.main_closed.wait())]
    await asyncio.wait(waits, timeout=MAX_LIFETIME_S, return_when=asyncio.FIRST_COMPLETED)
    for w in waits:
        w.cancel()
    if inflight:  # a command (the disconnect itself) is still answering its caller
        await asyncio.wait(list(inflight), timeout=CONTROL_WAIT_S)
    server.close()
    await fw.close()
    write_state(state_dir, status="stopped")
    return 0


async def _command(fw: Forwarder, req: dict[str, Any]) -> dict[str, Any]:
    cmd = req.get("cmd")
    if fw.main_closed.is_set() and cmd != "disconnect":
        return {"ok": False, "error": "the platform closed the main link"}
    if cmd == "send_positions":
        return {"ok": True, "frames": await fw.send_positions(req.get("params") or {})}
    if cmd == "disconnect":
        try:
            await fw.disconnect()
        except ForwarderError as exc:
            return {"ok": False, "error": str(exc)}
        return {"ok": True}
    return {"ok": False, "error": f"unknown command {cmd!r}"}
