"""Start bookkeeping shared by the test apps: each start in STATE_DIR increments STATE_DIR/generation
and writes STATE_DIR/pid-N with "pid pgid", so tests can tell restarts apart and find the processes."""
import os


def record_start(state):
    path = os.path.join(state, "generation")
    try:
        with open(path) as f:
            generation = int(f.read().strip() or "0") + 1
    except FileNotFoundError:
        generation = 1
    with open(path + ".tmp", "w") as f:
        f.write(str(generation))
    os.replace(path + ".tmp", path)
    with open(os.path.join(state, "pid-%d" % generation), "w") as f:
        f.write("%d %d" % (os.getpid(), os.getpgid(0)))
    return generation
