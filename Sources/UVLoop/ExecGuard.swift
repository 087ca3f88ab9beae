#if canImport(Glibc)
import Glibc
#endif
import CLibUV

/// The small supervisor between the broker and the app's dev command, so that no process of the
/// app outlives the broker, whatever way the broker ends (even SIGKILL).
///
/// The broker starts it (as `reload-broker __exec-guard`) in a new process group; it asks the
/// kernel for SIGTERM when the broker dies (`PR_SET_PDEATHSIG`), starts `/bin/sh -c COMMAND` in
/// the same group, and then only waits for signals:
/// - the command exits: the guard sends SIGTERM to what is left of the group and exits with the
///   command's status (128 + signal when it was killed);
/// - SIGTERM, SIGINT or SIGHUP (from the broker, or the broker's death): SIGTERM to the whole
///   group, then SIGKILL to it after `gracePeriod` milliseconds if the command is still there.
public enum ExecGuard {
    public static func run(command: String, gracePeriodMilliseconds: Int) -> Never {
        let parent = getppid()
        _ = rb_set_parent_death_signal(SIGTERM)
        // The broker may have died before the request above: then nobody would signal us.
        if getppid() != parent { exit(143) }

        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&signals, signal) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let words: [String] = ["sh", "-c", command]
        var arguments: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        var child: pid_t = 0
        let status = posix_spawn(&child, "/bin/sh", nil, &attributes, &arguments, environ)
        posix_spawnattr_destroy(&attributes)
        guard status == 0 else {
            let line = Array("reload-broker: cannot start /bin/sh: errno \(status)\n".utf8)
            _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            exit(127)
        }

        var terminatingSince: timespec?
        while true {
            var code: Int32 = 0
            let waited = waitpid(child, &code, WNOHANG)
            if waited == child {
                // Whatever the command left behind in the group goes too (we have SIGTERM blocked).
                kill(-getpgrp(), SIGTERM)
                if code & 0x7f == 0 { exit((code >> 8) & 0xff) }
                exit(128 + (code & 0x7f))
            }
            var info = siginfo_t()
            var received: Int32
            if let since = terminatingSince {
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                let elapsed = (now.tv_sec - since.tv_sec) * 1000 + (now.tv_nsec - since.tv_nsec) / 1_000_000
                let left = max(0, gracePeriodMilliseconds - elapsed)
                if left == 0 {
                    kill(-getpgrp(), SIGKILL)  // ends the guard too
                    exit(137)
                }
                var timeout = timespec(tv_sec: left / 1000, tv_nsec: (left % 1000) * 1_000_000)
                received = sigtimedwait(&signals, &info, &timeout)
            } else {
                received = sigwaitinfo(&signals, &info)
            }
            if received == SIGTERM || received == SIGINT || received == SIGHUP, terminatingSince == nil {
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                terminatingSince = now
                kill(-getpgrp(), SIGTERM)
            }
        }
    }
}
