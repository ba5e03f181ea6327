"""Record, with inotify, every change to files that will hold secrets (runs inside a test host).

    secretwatch.py LOG FILE...

Started by a scenario's prepare step before the first converge, it appends one JSON line per
inotify event on each FILE (watched through its directory, so files that do not exist yet are
seen too, and a directory created later is picked up) to LOG:
{"seq": n, "name": path, "event": "MOVED_TO"|"CLOSE_WRITE"|"ATTRIB"|"CREATE", "mode": ..., ...}.
The first line is {"ready": true}.

Why events and not modes: a file written with a permissive mode and fixed a moment later is
readable only for that moment, which no poll catches reliably. The kernel queues inotify events
in order, however late this process reads them, so "content arrived (MOVED_TO or CLOSE_WRITE),
then ATTRIB (chmod/chown)" is a deterministic sign of that window (ntpcheck.secret_window()).
Standard library only (ctypes), as the hosts have nothing but python3.
"""

import ctypes
import json
import os
import struct
import sys

IN_ATTRIB, IN_CLOSE_WRITE = 0x4, 0x8
IN_MOVED_TO, IN_CREATE = 0x80, 0x100
IN_ISDIR = 0x40000000
NAMES = {IN_ATTRIB: 'ATTRIB', IN_CLOSE_WRITE: 'CLOSE_WRITE', IN_MOVED_TO: 'MOVED_TO', IN_CREATE: 'CREATE'}
MASK = IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE
HEADER = struct.Struct('iIII')


def main(log_path, files):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init()
    if fd < 0:
        raise OSError(ctypes.get_errno(), 'inotify_init')
    wanted = {}    # directory -> set of base names
    for path in files:
        wanted.setdefault(os.path.dirname(path), set()).add(os.path.basename(path))
    watches = {}   # watch descriptor -> directory

    def watch(directory):
        wd = libc.inotify_add_watch(fd, directory.encode(), MASK)
        if wd >= 0:
            watches[wd] = directory
        return wd >= 0

    parents = {}   # parent directory -> directories of ours not created yet
    for directory in wanted:
        if not watch(directory):
            parent = os.path.dirname(directory)
            parents.setdefault(parent, set()).add(os.path.basename(directory))
            watch(parent)
    seq = 0
    with open(log_path, 'a', buffering=1) as log:
        log.write(json.dumps({'ready': True, 'files': files}) + '\n')
        while True:
            data = os.read(fd, 65536)
            offset = 0
            while offset < len(data):
                wd, mask, _cookie, length = HEADER.unpack_from(data, offset)
                name = data[offset + HEADER.size:offset + HEADER.size + length].rstrip(b'\0').decode()
                offset += HEADER.size + length
                directory = watches.get(wd)
                if directory is None:
                    continue
                if mask & IN_ISDIR and name in parents.get(directory, ()):
                    watch(os.path.join(directory, name))
                    continue
                if name not in wanted.get(directory, ()):
                    continue
                path = os.path.join(directory, name)
                seq += 1
                record = {'seq': seq, 'name': path,
                          'event': '+'.join(text for bit, text in sorted(NAMES.items()) if mask & bit)}
                try:
                    st = os.stat(path)
                    record.update(mode='%04o' % (st.st_mode & 0o7777), uid=st.st_uid, gid=st.st_gid)
                except OSError:
                    record['gone'] = True
                log.write(json.dumps(record) + '\n')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2:])
