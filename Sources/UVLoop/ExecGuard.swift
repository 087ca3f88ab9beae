#if canImport(Glibc)
import Glibc
#endif
import CLibUV

/// The small supervisor between the broker and the app's dev command, so that no process of the
/// app outlives the broker, whatever way the broker ends (even SIGKILL).
///
/// The broker starts it (as `reload-broker __exec-guard`) in a new process group; it asks the
/// kernel for SIGTERM when the broker dies (`PR_SET_PDEATHSIG`), becomes a child subreaper (the
/// app's orphans become its children), starts `/bin/sh -c COMMAND` in the same group, and then
/// only waits for signals. It ends the app when
/// - the command exits (or is killed): what is left of the group gets SIGTERM;
/// - SIGTERM, SIGINT or SIGHUP (from the broker, or the broker's death): the whole group gets SIGTERM;
///
/// and then waits until the command and every other process of the group are gone, sending
/// SIGKILL to those still there after `gracePeriod` milliseconds (at once after ``hurrySignal``:
/// the broker restarting the app on a change does not wait for a slow graceful shutdown). Only then does it exit, with
/// the command's status (128 + signal when it was killed): when the guard has exited, the app no
/// longer holds its port, and a new one can start. Processes that left the group (`setsid`,
/// `setpgid`) are not waited for.
public enum ExecGuard {
    /// The name of the guard's (hidden) subcommand: `reload-broker __exec-guard ...`.
    public static let subcommand = "__exec-guard"
    /// How long the guard waits for the processes it sent SIGKILL to before it exits anyway (a
    /// process stuck in the kernel, or a member it could not see leave).
    public static let killSettleMilliseconds = 1000
    /// Sent to the guard alone: end the app now, SIGKILL to whatever did not stop yet.
    public static let hurrySignal = SIGUSR1

    /// With `waitsForStart`, the guard first waits for its ``StartGate`` (standard input): the
    /// broker starts the next app's guard as soon as a restart begins, so that its own start-up
    /// overlaps the old app's end, and opens the gate once the old app is gone. Until then the
    /// signals keep their default actions (a SIGTERM just ends the guard: there is no app yet);
    /// end of input (the broker changed its mind, or died) ends it too.
    public static func run(command: String, gracePeriodMilliseconds: Int, waitsForStart: Bool = false) -> Never {
        // It ends its whole group; run by hand inside someone else's (a shell's job), that group
        // would be theirs.
        guard getpgrp() == getpid() else {
            writeError("reload-broker: \(subcommand) must lead its own process group (the broker starts it so)")
            exit(64)
        }
        let parent = getppid()
        _ = rb_set_parent_death_signal(SIGTERM)
        // The broker may have died before the request above: then nobody would signal us.
        if getppid() != parent { exit(143) }
        if waitsForStart, !StartGate.waitOnStandardInput() { exit(0) }
        // The app's processes whose parent dies (the shell SIGTERM ends first, a worker's master)
        // become our children: we can wait for them, and reap them.
        _ = rb_set_child_subreaper()

        // With the app's output captured, our standard error is a pipe to the broker: once the
        // broker is gone, a write to it must fail (EPIPE), not end the guard before the app.
        // The command gets the default action back (below).
        signal(SIGPIPE, SIG_IGN)

        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGCHLD, hurrySignal] { sigaddset(&signals, signal) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let words: [String] = ["sh", "-c", command]
        var arguments: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        var child: pid_t = 0
        let status = posix_spawn(&child, "/bin/sh", nil, &attributes, &arguments, environ)
        posix_spawnattr_destroy(&attributes)
        guard status == 0 else {
            writeError("reload-broker: cannot start /bin/sh: errno \(status)")
            exit(127)
        }

        let group = getpgrp()
        /// The command's exit status once it has been reaped.
        var commandStatus: Int32?
        /// When the guard started ending the app (SIGTERM to the group), then sent SIGKILL.
        var terminatingSince: Int?
        var killedSince: Int?
        var grace = gracePeriodMilliseconds
        while true {
            // Reap whatever has ended: the command, and the app's orphans reparented to us.
            while true {
                var code: Int32 = 0
                let pid = waitpid(-1, &code, WNOHANG)
                guard pid > 0 else { break }  // 0: children left, all running; -1: none at all
                if pid == child { commandStatus = code & 0x7f == 0 ? (code >> 8) & 0xff : 128 + (code & 0x7f) }
            }
            if commandStatus != nil, terminatingSince == nil {
                // Whatever the command left behind in the group goes too (we have SIGTERM blocked).
                terminatingSince = monotonicMilliseconds()
                kill(-group, SIGTERM)
            }

            var timeout: Int?
            if let since = terminatingSince {
                let others = otherMembers(of: group)
                if let commandStatus, others.isEmpty { exit(commandStatus) }
                let now = monotonicMilliseconds()
                if let killedSince {
                    let left = killSettleMilliseconds - (now - killedSince)
                    if left <= 0 { exit(commandStatus ?? 137) }
                    // A member whose parent is not us dies without a SIGCHLD to us: look again soon.
                    timeout = min(left, 50)
                } else {
                    let left = grace - (now - since)
                    if left <= 0 {
                        writeError("reload-broker: the app did not stop within the grace period: SIGKILL")
                        // One by one rather than to the group, which would end the guard before
                        // the app is gone. Our children among them cannot be reaped before we do;
                        // the others could only be stale if their parent reaped them and the
                        // kernel gave the pid to a new process since the scan just above.
                        for pid in others { kill(pid, SIGKILL) }
                        if commandStatus == nil { kill(child, SIGKILL) }  // even if it left the group
                        killedSince = now
                        continue
                    }
                    // Look again at least every 25 ms: a member reaped by a parent that left the
                    // group sends us no SIGCHLD, and the restart should not wait the whole grace.
                    timeout = min(left, 25)
                }
            }

            var info = siginfo_t()
            let received: Int32
            if let timeout {
                var wait = timespec(tv_sec: timeout / 1000, tv_nsec: (timeout % 1000) * 1_000_000)
                received = sigtimedwait(&signals, &info, &wait)
            } else {
                received = sigwaitinfo(&signals, &info)
            }
            if received == hurrySignal { grace = 0 }
            if received == SIGTERM || received == SIGINT || received == SIGHUP || received == hurrySignal,
                terminatingSince == nil
            {
                terminatingSince = monotonicMilliseconds()
                kill(-group, SIGTERM)
            }
        }
    }

    /// The processes of `group` other than the calling one (zombies included), from `/proc`.
    private static func otherMembers(of group: pid_t) -> [pid_t] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        let me = getpid()
        var members: [pid_t] = []
        while let entry = readdir(directory) {
            let pid = withUnsafePointer(to: &entry.pointee.d_name) { name in
                name.withMemoryRebound(to: CChar.self, capacity: 256) { pid_t(String(cString: $0)) }
            }
            guard let pid, pid > 0, pid != me, getpgid(pid) == group else { continue }
            members.append(pid)
        }
        return members
    }

    private static func monotonicMilliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
    }

    private static func writeError(_ message: String) {
        StandardStreams.writeError(message + "\n")
    }
}
