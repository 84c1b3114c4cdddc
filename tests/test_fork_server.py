"""The fork server: processes a grading starts are forked from a copy made while the grading
child had one thread, so a lock another thread holds cannot hang them.

Each case runs in a fresh interpreter: the server makes its caller a child subreaper, which
the test process should not become.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from autograder.course import ROOT

SCRIPT = textwrap.dedent(
    """
    import os, sys, threading, time
    sys.path.insert(0, sys.argv[1])
    from autograder import processes
    from autograder.isolation import fork_server

    LOCK = threading.Lock()  # stands for SQLite's allocator mutex, held by an app's thread


    def target(fds, word, caller):
        got = LOCK.acquire(timeout=2)
        # Forked twice, the process is the caller's once the middle process has ended:
        # give that a moment on a busy machine before saying who the parent is.
        deadline = time.monotonic() + 10
        while os.getppid() != caller and time.monotonic() < deadline:
            time.sleep(0.01)
        os.write(fds[0], f"{word} {got} {os.getppid()} {os.environ.get('LATE')}".encode())
        os._exit(3)


    def run(spawn):
        read_end, write_end = os.pipe()
        pid = spawn(target, ("hello", os.getpid()), [write_end])
        os.close(write_end)
        answer = os.read(read_end, 200).decode()
        os.close(read_end)
        return answer, processes.reap(pid)


    def direct(target, arguments, fds):
        pid = os.fork()
        if pid == 0:
            processes.keep_only_descriptors(fds)
            target(fds, *arguments)
        return pid


    server = fork_server.start()
    threading.Thread(target=lambda: (LOCK.acquire(), time.sleep(60)), daemon=True).start()
    time.sleep(0.2)
    os.environ["LATE"] = "set-after-the-server-started"
    print(os.getpid(), *run(server.spawn), sep="|")
    print(os.getpid(), *run(direct), sep="|")
    server.close()
    """
)


def test_a_spawned_process_is_free_of_the_threads_locks_and_a_child_of_the_caller():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (served, forked) = [line.split("|") for line in result.stdout.splitlines()]
    caller, answer, ended = served
    word, got_lock, parent, late = answer.split()
    # The server's copy was made before the thread took the lock: the process gets it.
    assert got_lock == "True"
    # It was adopted by the caller, so the caller waits for it and reads how it ended.
    assert parent == caller
    assert ended == "exit status 3"
    # It runs in the caller's environment as it is at the request, not at the server's start.
    assert late == "set-after-the-server-started"
    # Forked directly from the threaded caller instead, the lock stays held for ever.
    assert forked[1].split()[1] == "False"
