"""A child forked by the process layer starts with its inherited objects frozen (its garbage
collections skip them, so they never copy the parent's heap), and a long-lived parent, such as
the warm grader, gets its own objects back for collection after each fork.

It runs in a fresh interpreter: the test process's own garbage collector is left alone.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from autograder.course import ROOT

SCRIPT = textwrap.dedent(
    """
    import gc, os, sys
    sys.path.insert(0, sys.argv[1])
    from autograder import processes

    heap = [[index] for index in range(10_000)]  # stands for the grader's imports


    def fork_and_report():
        read_end, write_end = os.pipe()
        pid = processes.fork_with_retries()
        if pid == 0:
            os.close(read_end)
            frozen = gc.get_freeze_count()
            # A child that forks again keeps what it inherited frozen in both processes.
            grandchild = processes.fork_with_retries()
            if grandchild == 0:
                os.write(write_end, f"{frozen} {gc.get_freeze_count()} ".encode())
                os._exit(0)
            os.waitpid(grandchild, 0)
            os.write(write_end, str(gc.get_freeze_count()).encode())
            os._exit(0)
        os.close(write_end)
        os.waitpid(pid, 0)
        with os.fdopen(read_end) as answer:
            return answer.read()


    child, grandchild, child_after = fork_and_report().split()
    print(child, grandchild, child_after, gc.get_freeze_count())
    """
)


def test_forked_children_keep_the_inherited_heap_frozen_and_the_parent_does_not():
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    child, grandchild, child_after, parent = (int(word) for word in run.stdout.split())
    assert child >= 10_000, "the child's inherited objects are not frozen"
    assert grandchild >= child and child_after >= child, "a forked child thawed its heap"
    assert parent == 0, "the long-lived parent left its own objects frozen after the fork"
