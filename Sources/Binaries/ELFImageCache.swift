import Synchronization

/// Opens each ELF file once for all processes that map it (libc is shared by every process of a tree).
public final class ELFImageCache: Sendable {
    private struct Key: Hashable {
        var path: String
        var inode: UInt64
    }

    private let images = Mutex<[Key: ELFImage?]>([:])

    public init() {}

    /// The image of `path`, opened on first use; `nil` (remembered) when it cannot be read.
    public func image(path: String, inode: UInt64) -> ELFImage? {
        let key = Key(path: path, inode: inode)
        if let cached = images.withLock({ $0[key] }) { return cached }
        let image = ELFImage(path: path)
        return images.withLock { images in
            if let raced = images[key] { return raced }
            images[key] = .some(image)
            return image
        }
    }
}
