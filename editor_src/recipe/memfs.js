// An in-memory file system for esbuild-wasm, in the shape Go's wasm runtime calls (syscall/fs_js.go).
//
// esbuild-wasm in a browser has no file system, so bundling normally goes through plugins, which would mean
// re-writing esbuild's resolver in JavaScript. Instead, the worker installs this object as `self.fs` before
// esbuild starts (`worker: false`): esbuild's own resolver then reads the same layout the native build
// writes to disk (tsconfig paths, package.json fields, extension order, NODE_PATH), so it resolves the same.
// Files may be lazy: their bytes are fetched the first time esbuild opens them (Go waits on the callback).

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

function fsError(code) {
  const error = new Error(code);
  error.code = code;
  return error;
}

function parentOf(path) {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

export class MemFS {
  constructor() {
    this.files = new Map(); // absolute path -> Uint8Array | (() => Promise<Uint8Array>)
    this.sizes = new Map();
    this.children = new Map([["/", new Set()]]);
    this.handles = new Map();
    this.nextFd = 100;
  }

  /** Add a file; `contents` is a string, bytes, or a function returning a promise of bytes (lazy). */
  put(path, contents, size = 0) {
    const bytes = typeof contents === "string" ? new TextEncoder().encode(contents) : contents;
    this.files.set(path, bytes);
    this.sizes.set(path, bytes instanceof Uint8Array ? bytes.length : size);
    for (let child = path, dir = parentOf(path); ; child = dir, dir = parentOf(dir)) {
      if (!this.children.has(dir)) this.children.set(dir, new Set());
      this.children.get(dir).add(child.slice(child.lastIndexOf("/") + 1));
      if (dir === "/") break;
    }
  }

  /** Remove every file under `prefix` (a folder path). */
  clear(prefix) {
    for (const path of [...this.files.keys()]) if (path.startsWith(prefix + "/")) this.files.delete(path);
    for (const dir of [...this.children.keys()]) {
      if (dir === prefix || dir.startsWith(prefix + "/")) this.children.delete(dir);
    }
    this.children.get(parentOf(prefix))?.delete(prefix.slice(prefix.lastIndexOf("/") + 1));
  }

  stat(path) {
    const isDir = this.children.has(path);
    if (!isDir && !this.files.has(path)) return null;
    return {
      dev: 1, ino: 1, mode: isDir ? S_IFDIR | 0o755 : S_IFREG | 0o644, nlink: 1, uid: 0, gid: 0, rdev: 0,
      size: isDir ? 0 : this.sizes.get(path), blksize: 4096, blocks: 0, atimeMs: 0, mtimeMs: 0, ctimeMs: 0,
      isDirectory: () => isDir,
    };
  }

  async bytes(path) {
    let contents = this.files.get(path);
    if (typeof contents === "function") {
      contents = await contents();
      this.files.set(path, contents);
      this.sizes.set(path, contents.length);
    }
    return contents;
  }

  /** The `fs` object Go's runtime calls. The esbuild service replaces `read` and `writeSync` with its
   * stdin/stdout pipe; the accessor keeps that pipe for fd 0 and serves files on every other fd. */
  nodeFS() {
    const memfs = this;
    let pipeRead = null;
    const fs = {
      constants: { O_WRONLY: 1, O_RDWR: 2, O_CREAT: 64, O_TRUNC: 512, O_APPEND: 1024, O_EXCL: 128, O_DIRECTORY: 65536 },
      writeSync(fd, buffer) { return buffer.length; },
      write(fd, buffer, offset, length, position, callback) {
        if (fd === 1 || fd === 2) callback(null, fs.writeSync(fd, buffer.subarray(offset, offset + length)));
        else callback(fsError("EBADF"));
      },
      open(path, flags, mode, callback) {
        if (flags & (1 | 2 | 64 | 512)) return callback(fsError("EROFS"));
        const stat = memfs.stat(path);
        if (!stat) return callback(fsError("ENOENT"));
        const fd = memfs.nextFd++;
        memfs.handles.set(fd, { path, position: 0, isDir: stat.isDirectory() });
        callback(null, fd);
      },
      close(fd, callback) { memfs.handles.delete(fd); callback(null); },
      fstat(fd, callback) {
        const handle = memfs.handles.get(fd);
        if (!handle) return callback(fsError("EBADF"));
        const load = handle.isDir ? Promise.resolve() : memfs.bytes(handle.path);
        load.then(() => callback(null, memfs.stat(handle.path)), (error) => callback(fsError("EIO"), error));
      },
      stat(path, callback) { const s = memfs.stat(path); s ? callback(null, s) : callback(fsError("ENOENT")); },
      lstat(path, callback) { fs.stat(path, callback); },
      readdir(path, callback) {
        const names = memfs.children.get(path);
        names ? callback(null, [...names].sort()) : callback(fsError(memfs.files.has(path) ? "ENOTDIR" : "ENOENT"));
      },
      readlink(path, callback) { callback(fsError("EINVAL")); },
      fsync(fd, callback) { callback(null); },
    };
    for (const name of ["chmod", "chown", "fchmod", "fchown", "ftruncate", "lchown", "link", "mkdir", "rename",
      "rmdir", "symlink", "truncate", "unlink", "utimes"]) {
      fs[name] = (...args) => args[args.length - 1](fsError("EROFS"));
    }
    Object.defineProperty(fs, "read", {
      get() {
        return (fd, buffer, offset, length, position, callback) => {
          if (fd === 0) return pipeRead(fd, buffer, offset, length, position, callback);
          const handle = memfs.handles.get(fd);
          if (!handle || handle.isDir) return callback(fsError("EBADF"));
          memfs.bytes(handle.path).then((data) => {
            const at = position ?? handle.position;
            const count = Math.max(0, Math.min(length, data.length - at));
            buffer.set(data.subarray(at, at + count), offset);
            if (position == null) handle.position += count;
            callback(null, count);
          }, () => callback(fsError("EIO")));
        };
      },
      set(read) { pipeRead = read; },
    });
    return fs;
  }
}

/** The `process` object Go's runtime asks for its working folder and ids (a worker has none). */
export function processStub(cwd) {
  return {
    getuid: () => -1, getgid: () => -1, geteuid: () => -1, getegid: () => -1, getgroups: () => [],
    pid: -1, ppid: -1, umask: () => 0o022, cwd: () => cwd,
    chdir() { throw fsError("ENOSYS"); },
  };
}
