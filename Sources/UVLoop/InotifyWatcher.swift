#if canImport(Glibc)
import Glibc
#endif
import CLibUV

/// Folder watches on one inotify descriptor, polled by the loop (`uv_poll_t`), Linux.
///
/// libuv's `uv_fs_event` does not ask inotify for `IN_CLOSE_WRITE`, so it cannot tell a file
/// being written from a file that was saved. This watcher reports both, which lets the broker
/// act the moment a save is complete instead of waiting for a quiet window. Not recursive: a
/// tree is one watch per folder (the caller adds them). Events come in batches, one per
/// readable wake-up, in the kernel's order.
public final class InotifyWatcher: LoopHandle {
    /// What happened to an entry of a watched folder (or to the folder).
    public enum Kind: Sendable, Equatable {
        /// The entry appeared (`IN_CREATE`): a new file is usually written next.
        case created
        /// Its content changed (`IN_MODIFY`): a write is under way.
        case modified
        /// A file opened for writing was closed (`IN_CLOSE_WRITE`): the write is complete.
        case written
        /// Its metadata changed (`IN_ATTRIB`: `touch`, `chmod`).
        case attributes
        /// It was renamed into the folder (`IN_MOVED_TO`): it appears complete.
        case movedIn
        /// It was renamed out of the folder (`IN_MOVED_FROM`).
        case movedOut
        /// It was deleted (`IN_DELETE`).
        case deleted
        /// The watched folder itself was deleted or moved, or its watch ended (`IN_DELETE_SELF`,
        /// `IN_MOVE_SELF`, `IN_IGNORED`).
        case folderGone
        /// The kernel's queue overflowed (`IN_Q_OVERFLOW`): events were lost.
        case overflow
    }

    public struct Event: Sendable, Equatable {
        /// The watch descriptor ``add(folder:)`` returned (-1 for ``Kind/overflow``).
        public var watch: Int32
        /// The entry's name within the folder (nil for events about the folder itself).
        public var name: String?
        public var kind: Kind
        /// The entry is a folder (`IN_ISDIR`).
        public var isFolder: Bool

        public init(watch: Int32, name: String?, kind: Kind, isFolder: Bool) {
            self.watch = watch
            self.name = name
            self.kind = kind
            self.isFolder = isFolder
        }
    }

    private let descriptor: Int32
    private var callback: (([Event]) -> Void)?
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    public init(loop: EventLoop, _ callback: @escaping ([Event]) -> Void) throws(UVError) {
        let descriptor = rb_inotify_open()
        if descriptor < 0 { throw UVError(code: descriptor, operation: "inotify_init1") }
        self.descriptor = descriptor
        super.init(loop: loop, type: UV_POLL)
        let poll = OpaquePointer(handle).assumingMemory(uv_poll_t.self)
        let status = uv_poll_init(loop.raw, poll, descriptor)
        if status < 0 {
            Glibc.close(descriptor)
            discardUninitialized()
            throw UVError(code: status, operation: "uv_poll_init(inotify)")
        }
        attach()
        self.callback = callback
        let started = uv_poll_start(poll, Int32(UV_READABLE.rawValue)) { poll, status, _ in
            let watcher = LoopHandle.object(poll!.pointee.data, as: InotifyWatcher.self)
            watcher.readable(status: status)
        }
        if started < 0 {
            close()
            throw UVError(code: started, operation: "uv_poll_start(inotify)")
        }
    }

    /// Watches a folder's entries; returns its watch descriptor (the same one when the folder
    /// is already watched under another path). `ENOSPC` means the user's watch limit is reached.
    public func add(folder path: String) throws(UVError) -> Int32 {
        let watch = rb_inotify_watch_folder(descriptor, path)
        if watch < 0 { throw UVError(code: watch, operation: "inotify_add_watch(\(path))") }
        return watch
    }

    /// Stops a watch (a ``Kind/folderGone`` event may still follow for it).
    public func remove(_ watch: Int32) {
        guard !isClosing else { return }
        _ = inotify_rm_watch(descriptor, watch)
    }

    private func readable(status: Int32) {
        guard let callback else { return }
        if status < 0 {
            callback([Event(watch: -1, name: nil, kind: .overflow, isFolder: false)])
            return
        }
        var events: [Event] = []
        // Bounded: a flood is read in at most 16 buffers per wake-up; the rest waits for the next.
        for _ in 0..<16 {
            let count = buffer.withUnsafeMutableBytes { raw in
                rb_read(descriptor, raw.baseAddress, UInt(raw.count))
            }
            if count <= 0 { break }
            Self.parse(buffer[..<Int(count)], into: &events)
        }
        if !events.isEmpty { callback(events) }
    }

    /// Decodes `struct inotify_event` records (native byte order: they come from this kernel).
    static func parse(_ bytes: ArraySlice<UInt8>, into events: inout [Event]) {
        func word(_ at: Int) -> UInt32 {
            var value: UInt32 = 0
            for shift in 0..<4 { value |= UInt32(bytes[at + shift]) << (8 * UInt32(shift)) }
            return UInt32(littleEndian: value)
        }
        var offset = bytes.startIndex
        while offset + 16 <= bytes.endIndex {
            let watch = Int32(bitPattern: word(offset))
            let mask = word(offset + 4)
            let length = Int(word(offset + 12))
            let nameStart = offset + 16
            guard nameStart + length <= bytes.endIndex else { return }
            let nameBytes = bytes[nameStart..<(nameStart + length)].prefix { $0 != 0 }
            let name = nameBytes.isEmpty ? nil : String(decoding: nameBytes, as: UTF8.self)
            offset = nameStart + length
            guard let kind = kind(of: mask) else { continue }
            events.append(Event(watch: watch, name: name, kind: kind, isFolder: mask & UInt32(IN_ISDIR) != 0))
        }
    }

    private static func kind(of mask: UInt32) -> Kind? {
        if mask & UInt32(IN_Q_OVERFLOW) != 0 { return .overflow }
        if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED) != 0 { return .folderGone }
        if mask & UInt32(IN_CLOSE_WRITE) != 0 { return .written }
        if mask & UInt32(IN_MOVED_TO) != 0 { return .movedIn }
        if mask & UInt32(IN_MOVED_FROM) != 0 { return .movedOut }
        if mask & UInt32(IN_DELETE) != 0 { return .deleted }
        if mask & UInt32(IN_CREATE) != 0 { return .created }
        if mask & UInt32(IN_MODIFY) != 0 { return .modified }
        if mask & UInt32(IN_ATTRIB) != 0 { return .attributes }
        return nil
    }

    override func didClose() {
        callback = nil
        Glibc.close(descriptor)
    }
}
