import CLibUV

/// Facts about a file system entry (`uv_fs_stat`).
public struct FileInfo: Sendable, Equatable {
    public var size: Int64
    public var isDirectory: Bool
    public var isRegularFile: Bool
    /// Modification time in nanoseconds since the epoch (full resolution, not seconds).
    public var modifiedNanoseconds: Int64
    /// Inode change time in nanoseconds (changes on rename-over saves even when mtime is restored).
    public var changedNanoseconds: Int64
    public var inode: UInt64
    public var device: UInt64

    init(_ stat: uv_stat_t) {
        size = Int64(stat.st_size)
        let type = stat.st_mode & UInt64(S_IFMT)
        isDirectory = type == UInt64(S_IFDIR)
        isRegularFile = type == UInt64(S_IFREG)
        modifiedNanoseconds = Int64(stat.st_mtim.tv_sec) * 1_000_000_000 + Int64(stat.st_mtim.tv_nsec)
        changedNanoseconds = Int64(stat.st_ctim.tv_sec) * 1_000_000_000 + Int64(stat.st_ctim.tv_nsec)
        inode = stat.st_ino
        device = stat.st_dev
    }
}

/// Synchronous file access through libuv's `uv_fs_*` calls (no callback: they run on the
/// calling thread).
///
/// Used for serving a developer's local files: metadata calls and 64 KiB reads paced by
/// the socket take microseconds from the page cache, so they run on the loop thread
/// rather than round-tripping through libuv's thread pool. A stalled disk (a dead
/// network mount) would stall the loop; that trade is acceptable for a development server.
public enum LocalFileSystem {
    /// Stats a path, following symbolic links.
    public static func info(_ path: String) throws(UVError) -> FileInfo {
        var request = uv_fs_t()
        defer { uv_fs_req_cleanup(&request) }
        try UVError.check(uv_fs_stat(nil, &request, path, nil), "stat(\(path))")
        return FileInfo(request.statbuf)
    }

    /// The canonical absolute path (symbolic links resolved), or an error when it does not exist.
    public static func realPath(_ path: String) throws(UVError) -> String {
        var request = uv_fs_t()
        defer { uv_fs_req_cleanup(&request) }
        try UVError.check(uv_fs_realpath(nil, &request, path, nil), "realpath(\(path))")
        return String(cString: request.ptr.assumingMemoryBound(to: CChar.self))
    }

    /// The entries of a directory (names only, without `.` and `..`), with whether each is a directory.
    public static func list(_ path: String) throws(UVError) -> [(name: String, isDirectory: Bool)] {
        var request = uv_fs_t()
        defer { uv_fs_req_cleanup(&request) }
        try UVError.check(uv_fs_scandir(nil, &request, path, 0, nil), "scandir(\(path))")
        var entries: [(String, Bool)] = []
        var entry = uv_dirent_t()
        while uv_fs_scandir_next(&request, &entry) == 0 {
            let name = String(cString: entry.name)
            var isDirectory = entry.type == UV_DIRENT_DIR
            if entry.type == UV_DIRENT_UNKNOWN || entry.type == UV_DIRENT_LINK {
                isDirectory = (try? info(path + "/" + name))?.isDirectory ?? false
            }
            entries.append((name, isDirectory))
        }
        return entries
    }
}

/// An open file read in steps (`uv_fs_open` / `uv_fs_read` / `uv_fs_close`, synchronous; see ``LocalFileSystem``).
public final class LocalFile {
    private var descriptor: uv_file
    /// Facts about the open file (taken with `fstat` right after opening, so they describe these bytes).
    public let info: FileInfo
    /// Where the next read starts (set it to seek).
    public var offset: Int64 = 0

    /// Opens a file read-only.
    public init(path: String) throws(UVError) {
        var request = uv_fs_t()
        let opened = uv_fs_open(nil, &request, path, O_RDONLY | O_CLOEXEC, 0, nil)
        uv_fs_req_cleanup(&request)
        try UVError.check(opened, "open(\(path))")
        descriptor = opened
        var stat = uv_fs_t()
        defer { uv_fs_req_cleanup(&stat) }
        let status = uv_fs_fstat(nil, &stat, descriptor, nil)
        if status < 0 {
            Self.close(descriptor)
            throw UVError(code: status, operation: "fstat(\(path))")
        }
        info = FileInfo(stat.statbuf)
    }

    /// Reads up to `maxLength` bytes from the current offset; an empty array at end of file.
    public func read(maxLength: Int = 64 * 1024) throws(UVError) -> [UInt8] {
        precondition(descriptor >= 0, "read from a closed LocalFile")
        var bytes = [UInt8](repeating: 0, count: maxLength)
        let count = bytes.withUnsafeMutableBytes { raw -> Int32 in
            var buffer = uv_buf_init(raw.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(raw.count))
            var request = uv_fs_t()
            defer { uv_fs_req_cleanup(&request) }
            return uv_fs_read(nil, &request, descriptor, &buffer, 1, offset, nil)
        }
        try UVError.check(count, "read")
        bytes.removeLast(maxLength - Int(count))
        offset += Int64(count)
        return bytes
    }

    /// Closes the file; idempotent.
    public func close() {
        guard descriptor >= 0 else { return }
        Self.close(descriptor)
        descriptor = -1
    }

    private static func close(_ descriptor: uv_file) {
        var request = uv_fs_t()
        _ = uv_fs_close(nil, &request, descriptor, nil)
        uv_fs_req_cleanup(&request)
    }

    deinit { close() }
}

/// Process limits that shape how many connections a loop can hold.
public enum ProcessLimits {
    /// The soft limit on open file descriptors (`RLIMIT_NOFILE`), raised to the hard limit first
    /// when `raise` is set (each connection is a descriptor).
    public static func openFiles(raise: Bool = false) -> Int {
        let limit = rb_open_file_limit(raise ? 1 : 0)
        return limit < 0 ? 1024 : limit
    }
}

/// The processes of a process group, read from `/proc` (Linux).
public enum ProcessGroup {
    /// Process ids whose process group is `group` (empty where `/proc` is not available).
    public static func members(of group: Int32) -> Set<Int32> {
        guard let entries = try? LocalFileSystem.list("/proc") else { return [] }
        var members: Set<Int32> = []
        for entry in entries where entry.isDirectory {
            guard let pid = Int32(entry.name), let file = try? LocalFile(path: "/proc/\(pid)/stat") else { continue }
            defer { file.close() }
            guard let bytes = try? file.read(maxLength: 1024) else { continue }
            // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after the last ')'.
            guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { continue }
            let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
            if fields.count > 2, Int32(String(decoding: fields[2], as: UTF8.self)) == group {
                members.insert(pid)
            }
        }
        return members
    }
}
