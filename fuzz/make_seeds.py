#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/{parse,roundtrip}/.

Real kernel bytes come from inotify(7) through ctypes (a create/modify/
close/attrib/rename/delete session, a 255-byte name, a watch removed by
the kernel, a queue overflow); the malformed cases are built by hand. A
`parse` input is one shift byte (0..15, the buffer's misalignment) and then
the event bytes. `roundtrip` inputs are raw bytes for `arbitrary`'s
Unstructured; any bytes decode, so kernel bytes and a fixed-seed random
stream serve. Run from the repository root: python3 fuzz/make_seeds.py
"""
import ctypes, os, random, shutil, struct, tempfile

libc = ctypes.CDLL(None, use_errno=True)
IN_NONBLOCK = 0o4000
ALL = 0xFFF
MASKS = dict(ACCESS=1, MODIFY=2, ATTRIB=4, CLOSE_WRITE=8, OPEN=0x20,
             MOVED_FROM=0x40, MOVED_TO=0x80, CREATE=0x100, DELETE=0x200,
             Q_OVERFLOW=0x4000, IGNORED=0x8000, ISDIR=0x40000000)


def watch(path, mask=ALL):
    fd = libc.inotify_init1(IN_NONBLOCK)
    assert fd >= 0
    wd = libc.inotify_add_watch(fd, path.encode(), mask)
    assert wd >= 0
    return fd, wd


def drain(fd):
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return out
        out += chunk


def session(d):
    fd, _ = watch(d)
    p = lambda n: os.path.join(d, n)
    with open(p("a.txt"), "w") as f:
        f.write("x")
    os.chmod(p("a.txt"), 0o600)
    os.rename(p("a.txt"), p("b.txt"))
    os.mkdir(p("sub"))
    os.rmdir(p("sub"))
    os.unlink(p("b.txt"))
    data = drain(fd)
    os.close(fd)
    return data


def long_name(d):
    fd, _ = watch(d, MASKS["CREATE"])
    open(os.path.join(d, "n" * 255), "w").close()
    data = drain(fd)
    os.close(fd)
    return data


def removed_watch(d):
    sub = os.path.join(d, "gone")
    os.mkdir(sub)
    fd, _ = watch(sub)
    os.rmdir(sub)  # DELETE_SELF, then IGNORED
    data = drain(fd)
    os.close(fd)
    return data


def overflow(d):
    fd, _ = watch(d, MASKS["CREATE"])
    limit = int(open("/proc/sys/fs/inotify/max_queued_events").read())
    for i in range(limit + 2):
        open(os.path.join(d, "f%d" % i), "w").close()
    data = drain(fd)
    os.close(fd)
    return data[-48:]  # the last create (32 bytes) and the overflow record


def header(wd, mask, cookie, length):
    return struct.pack("=iIII", wd, mask, cookie, length)


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    kernel = {}
    for name, fn in [("session", session), ("long-name", long_name),
                     ("removed-watch", removed_watch), ("overflow", overflow)]:
        d = tempfile.mkdtemp(prefix="zinotify-seed-")
        try:
            kernel[name] = fn(d)
        finally:
            shutil.rmtree(d, ignore_errors=True)
    assert struct.unpack_from("=iI", kernel["overflow"], 32) == (-1, MASKS["Q_OVERFLOW"])

    good = header(1, MASKS["CREATE"], 0, 16) + b"x" + b"\0" * 15
    parse = {
        "kernel-session": b"\0" + kernel["session"],
        "kernel-session-shift3": b"\3" + kernel["session"],
        "kernel-long-name-shift1": b"\1" + kernel["long-name"],
        "kernel-removed-watch": b"\7" + kernel["removed-watch"],
        "kernel-overflow": b"\5" + kernel["overflow"],
        "empty": b"\0",
        "truncated-header": b"\0" + header(1, 2, 3, 0)[:10],
        "good-then-truncated-header": b"\2" + good + b"\1\2\3",
        "name-past-end": b"\0" + header(1, MASKS["CREATE"], 0, 32) + b"abc\0",
        "len-u32-max": b"\0" + header(1, 0, 0, 0xFFFFFFFF) + b"\0" * 16,
        "name-not-terminated": b"\0" + good + header(2, MASKS["CREATE"], 0, 8) + b"12345678",
        "unpadded-len-7": b"\1" + header(3, MASKS["DELETE"], 0, 7) + b"abc\0\0\0\0",
        "unknown-mask-bits": b"\0" + header(-7, 0xFFFFFFFF, 42, 0),
    }
    rng = random.Random(20261124)
    roundtrip = {
        "kernel-session": kernel["session"],
        "kernel-long-name": kernel["long-name"],
        "kernel-overflow": kernel["overflow"],
        "empty": b"",
        "one-byte": b"\1",
        "zeros-64": b"\0" * 64,
        "ones-64": b"\xff" * 64,
    }
    for n in (16, 64, 256, 1024, 4096):
        roundtrip["random-%d" % n] = bytes(rng.randrange(256) for _ in range(n))
    for target, seeds in (("parse", parse), ("roundtrip", roundtrip)):
        os.makedirs(os.path.join(root, target), exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(root, target, name), "wb") as f:
                f.write(data)


main()
