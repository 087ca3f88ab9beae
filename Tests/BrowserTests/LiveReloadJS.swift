import Foundation

/// The real livereload.js 2.2.1, as vendored in the `livereload` 2.7.1 wheel on PyPI
/// (`livereload/vendors/livereload.js`): fetched once with pip into a cache folder under the
/// temporary directory, never committed. Nil (the tests of the real livereload.js skip, saying why
/// on stderr) when pip cannot get it.
enum LiveReloadJS {
    static let cache = FileManager.default.temporaryDirectory.appendingPathComponent("reload-broker-livereload-2.7.1")

    /// The script's bytes, or nil.
    static let bytes: [UInt8]? = {
        let file = cache.appendingPathComponent("livereload.js")
        if let data = try? Data(contentsOf: file), isVersion221(data) { return Array(data) }
        do {
            try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
            // Bounded: pip gives up after its own timeout and one retry, `timeout` after two minutes.
            try run([
                "timeout", "120", "python3", "-m", "pip", "download", "livereload==2.7.1", "--no-deps",
                "--only-binary=:all:", "--timeout", "30", "--retries", "1", "--disable-pip-version-check",
                "-d", cache.path,
            ])
            let wheel = cache.appendingPathComponent("livereload-2.7.1-py3-none-any.whl")
            let partial = cache.appendingPathComponent("livereload.js.partial")
            try run([
                "python3", "-c",
                "import sys, zipfile; open(sys.argv[2], 'wb').write(zipfile.ZipFile(sys.argv[1]).read('livereload/vendors/livereload.js'))",
                wheel.path, partial.path,
            ])
            try? FileManager.default.removeItem(at: file)
            try FileManager.default.moveItem(at: partial, to: file)
            let data = try Data(contentsOf: file)
            guard isVersion221(data) else { throw BrowserTestError(description: "the wheel's livereload.js is not version 2.2.1") }
            return Array(data)
        } catch {
            FileHandle.standardError.write(Data("""
                the real livereload.js tests skip: cannot get livereload.js 2.2.1 from the PyPI wheel \
                livereload==2.7.1 (\(error)). They need python3 with pip and access to PyPI.\n
                """.utf8))
            return nil
        }
    }()

    private static func isVersion221(_ data: Data) -> Bool {
        String(decoding: data, as: UTF8.self).contains("Version = '2.2.1'")
    }

    private static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: message, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: " ")
            throw BrowserTestError(description: "\(arguments[0...2].joined(separator: " ")) … exited \(process.terminationStatus): \(text)")
        }
    }
}
