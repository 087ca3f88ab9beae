/// Why a folder cannot be served.
public enum StaticFileError: Error, CustomStringConvertible, Sendable {
    case rootMissing(String)
    case rootNotDirectory(String)

    public var description: String {
        switch self {
        case .rootMissing(let path): "the folder \(path) does not exist"
        case .rootNotDirectory(let path): "\(path) is not a folder"
        }
    }
}
