"""Every file written under some directories of the controller, with the content it had when its writer
closed it: a file that held a secret for a moment only (a temporary file deleted a second later) is
caught too.

    with Watch(['/some/dir', ...]) as watch:
        ...  # run ansible-playbook
    watch.find({'label': 'secret text'})  # [(path, label)] of the files that held it when written
    watch.written                         # every (path, writer's pid, deleted since) in order

fanotify (root only): each "closed after writing" event of the directories' mount carries an open file
descriptor of the file, so its content can be read even after it was deleted (inotify gives only a
name, and a file deleted at once is then lost). Events of other paths on the same mount are dropped.
Standard library only (ctypes).
"""

import ctypes
import os
import select
import struct
import threading

FAN_CLOEXEC, FAN_NONBLOCK, FAN_CLASS_NOTIF = 0x1, 0x2, 0x0
FAN_MARK_ADD, FAN_MARK_MOUNT = 0x1, 0x10
FAN_CLOSE_WRITE, FAN_Q_OVERFLOW = 0x08, 0x4000
AT_FDCWD = -100
METADATA = struct.Struct('IBBHQii')  # struct fanotify_event_metadata
DELETED = ' (deleted)'


class Watch:
    def __init__(self, roots):
        """``roots``: directories whose files (at any depth, created later too) are recorded."""
        self.roots = [os.path.realpath(root).rstrip('/') + '/' for root in roots]
        self.written, self.contents, self.overflow = [], [], False
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._libc.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int,
                                             ctypes.c_char_p]
        self._fd = self._libc.fanotify_init(FAN_CLOEXEC | FAN_NONBLOCK | FAN_CLASS_NOTIF, os.O_RDONLY | os.O_LARGEFILE)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), 'fanotify_init (the watch needs root)')
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _record(self, fd, pid):
        path = os.readlink('/proc/self/fd/%d' % fd)
        deleted = path.endswith(DELETED)
        path = path[:-len(DELETED)] if deleted else path
        if not any(path.startswith(root) for root in self.roots):
            return
        chunks, offset = [], 0
        while True:
            chunk = os.pread(fd, 1 << 20, offset)
            if not chunk:
                break
            chunks.append(chunk)
            offset += len(chunk)
        self.written.append((path, pid, deleted))
        self.contents.append((path, b''.join(chunks)))

    def _drain(self):
        try:
            data = os.read(self._fd, 65536)
        except BlockingIOError:
            return False
        offset = 0
        while offset < len(data):
            length, _version, _reserved, _meta, mask, fd, pid = METADATA.unpack_from(data, offset)
            offset += length
            if mask & FAN_Q_OVERFLOW:
                self.overflow = True
            if fd >= 0:
                try:
                    self._record(fd, pid)
                except OSError:
                    pass
                finally:
                    os.close(fd)
        return True

    def _run(self):
        while not self._stop.is_set():
            if select.select([self._fd], [], [], 0.2)[0]:
                self._drain()
        while self._drain():
            pass

    def find(self, needles):
        """[(path, label)] of the files written while we watched that held a needle ({label: text})."""
        assert needles and all(needles.values()), 'an empty needle would match every file'
        return sorted({(path, label) for path, data in self.contents for label, text in needles.items()
                       if text.encode() in data})

    def __enter__(self):
        for root in self.roots:
            if self._libc.fanotify_mark(self._fd, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_CLOSE_WRITE, AT_FDCWD,
                                        root.encode()) != 0:
                raise OSError(ctypes.get_errno(), 'fanotify_mark ' + root)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        os.close(self._fd)
        return False
