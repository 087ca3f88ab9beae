#ifndef RELOAD_BROKER_CLIBUV_SHIM_H
#define RELOAD_BROKER_CLIBUV_SHIM_H
#include <uv.h>
#include <errno.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

/// Sets SO_REUSEPORT on a socket; returns 0 or a negative errno (libuv 1.44 has no flag for it).
static inline int rb_set_reuseport(int fd) {
    int one = 1;
    return setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0 ? 0 : -errno;
}

#include <signal.h>
#include <sys/resource.h>

/// The soft limit on open files, first raised to the hard limit when `raise` is non-zero; -1 when unknown.
static inline long rb_open_file_limit(int raise) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    if (raise && limit.rlim_cur < limit.rlim_max) {
        struct rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    return limit.rlim_cur == RLIM_INFINITY ? (long)1 << 30 : (long)limit.rlim_cur;
}
#include <pthread.h>

/// Unblocks one signal for the calling thread. A process started by a parent whose thread had
/// signals blocked (test runners, some supervisors) inherits that mask; libuv's signal watcher
/// would then never see the signal.
static inline int rb_unblock_signal(int signum) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signum);
    return -pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

#include <sys/prctl.h>

/// Asks for `signum` when the parent thread exits (prctl is variadic, so Swift cannot call it).
static inline int rb_set_parent_death_signal(int signum) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signum, 0, 0, 0) == 0 ? 0 : -errno;
}

/// Makes the calling process a child subreaper: its orphaned descendants are reparented to it
/// (not to init), so it can wait for them and reap them.
static inline int rb_set_child_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0, 0, 0) == 0 ? 0 : -errno;
}

/// Ignores SIGPIPE for the process unless the program installed its own handler. libuv writes
/// with write(2)/writev(2), which raise SIGPIPE on a connection the peer has reset (or after our
/// shutdown); the default action kills the process. Ignored, the write fails with EPIPE instead.
static inline void rb_ignore_sigpipe(void) {
    struct sigaction current;
    if (sigaction(SIGPIPE, NULL, &current) == 0 && current.sa_handler == SIG_DFL) {
        signal(SIGPIPE, SIG_IGN);
    }
}
#include <sys/inotify.h>
#include <unistd.h>

/// A non-blocking, close-on-exec inotify descriptor; a negative errno on failure.
static inline int rb_inotify_open(void) {
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

/// Watches a folder for what a save does to its entries (and for the folder itself going away);
/// the watch descriptor, or a negative errno.
static inline int rb_inotify_watch_folder(int fd, const char *path) {
    const uint32_t mask = IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO
        | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK;
    int wd = inotify_add_watch(fd, path, mask);
    return wd >= 0 ? wd : -errno;
}

/// Reads what is queued on a non-blocking descriptor: the byte count, 0 at end, or a negative errno.
static inline long rb_read(int fd, void *buffer, unsigned long length) {
    long count = read(fd, buffer, length);
    return count >= 0 ? count : -errno;
}
#endif
