"""A command's processes, read by the grader from ``/proc``, never from what they say.

* :func:`own_ids`: the ids of a command's processes as they see them themselves (in a
  sandbox, the ids of its PID namespace: what ``os.getpid()`` answers there);
* :func:`connection_holder`: which of them holds the server's end of a TCP connection, i.e.
  the process that accepted it and answers what is sent on it (a server's worker).

Linux only, like the commands of the labs that use it (lab 12's servers).
"""

from __future__ import annotations

import os
import socket
import time

ESTABLISHED = "01"  # the state column of /proc/net/tcp
LOOK_AGAIN_SECONDS = 0.01


def tree(root: int) -> dict[int, int | None]:
    """The processes alive now that ``root`` started (``root`` included), each with its
    parent within the tree (None for ``root``), parents before their children."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (parent := _parent_of(entry.name)) is not None:
            children.setdefault(parent, []).append(int(entry.name))
    found: dict[int, int | None] = {root: None}
    pending = [root]
    while pending:
        pid = pending.pop()
        for child in children.get(pid, []):
            found[child] = pid
            pending.append(child)
    return found


def _command_processes(root: int) -> dict[int, int | None]:
    """:func:`tree`, without the processes outside the command's own PID namespace: in a
    sandbox, the command's pid is its keeper, in the grader's namespace."""
    processes = tree(root)
    ours = _pid_namespace("self")
    inside = {
        pid: parent for pid, parent in processes.items() if _pid_namespace(pid) not in (ours, None)
    }
    return inside or processes


def own_ids(root: int) -> set[int]:
    """The ids of the command's processes alive now, as they see them (see the module)."""
    return {own for pid in _command_processes(root) if (own := _own_id(pid)) is not None}


def connection_holder(root: int, client: socket.socket, seconds: float) -> int | None:
    """The id (as it sees it) of the command's process that holds the server's end of
    ``client``'s connection, waiting up to ``seconds`` for a process to accept it; None when
    none did. When a process and a child it forked both hold it, the parent accepted it."""
    server_port = client.getpeername()[1]
    client_port = client.getsockname()[1]
    deadline = time.monotonic() + seconds
    while True:
        processes = _command_processes(root)
        inodes = _connection_inodes(processes, server_port, client_port)
        holders = {pid for pid in processes if inodes and _holds(pid, inodes)}
        first = [pid for pid in holders if not _has_ancestor_in(pid, holders, processes)]
        if first:
            return _own_id(first[0])
        if time.monotonic() >= deadline:
            return None
        time.sleep(LOOK_AGAIN_SECONDS)


def _connection_inodes(processes: dict, server_port: int, client_port: int) -> set[str]:
    """The socket inodes of the server's end of the connection (local port ``server_port``,
    remote port ``client_port``), from the TCP table of the processes' network namespace."""
    local, remote = f":{server_port:04X}", f":{client_port:04X}"
    for pid in processes:
        found, readable = set(), False
        for table in ("tcp", "tcp6"):
            try:
                with open(f"/proc/{pid}/net/{table}") as lines:
                    next(lines, None)  # the header
                    readable = True
                    for line in lines:
                        fields = line.split()
                        if (
                            len(fields) > 9
                            and fields[1].endswith(local)
                            and fields[2].endswith(remote)
                            and fields[3] == ESTABLISHED
                        ):
                            found.add(fields[9])
            except OSError:
                continue
        if readable:
            return found  # the processes of a command share one network namespace
    return set()


def _holds(pid: int, inodes: set[str]) -> bool:
    """Whether process ``pid`` has one of the sockets ``inodes`` open."""
    wanted = {f"socket:[{inode}]" for inode in inodes}
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in descriptors:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") in wanted:
                return True
        except OSError:
            continue
    return False


def _has_ancestor_in(pid: int, holders: set[int], processes: dict[int, int | None]) -> bool:
    parent = processes.get(pid)
    while parent is not None:
        if parent in holders:
            return True
        parent = processes.get(parent)
    return False


def _parent_of(pid: str) -> int | None:
    """The parent of process ``pid`` (from /proc/PID/stat), or None when it has ended."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            data = stat.read()
    except OSError:
        return None
    # pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ")"
    fields = data[data.rfind(b")") + 2 :].split()
    return int(fields[1]) if len(fields) > 1 else None


def _pid_namespace(pid: int | str) -> str | None:
    """Which PID namespace process ``pid`` is in, or None when it has ended."""
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def _own_id(pid: int) -> int | None:
    """The id process ``pid`` has in its own PID namespace (the last of /proc/PID/status's
    ``NSpid`` line; ``pid`` itself outside a sandbox), or None when it has ended."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except (OSError, ValueError):
        return None
    return pid
