#!/usr/bin/env python3
"""A recording TCP proxy for the dubbo:// protocol (stdlib only).

    dubbo_capture_proxy.py --listen 127.0.0.1:PORT --upstream 127.0.0.1:PORT --out DIR [--ready-file F]

Every byte is forwarded unchanged. Each complete Dubbo frame (16-byte header + body) seen in either
direction is also written to DIR as

    NNNN-<c2s|s2c>-<kind>.bin      kind = req | req-oneway | heartbeat-req | event | resp | heartbeat-resp | ...

and described in DIR/index.tsv (seq, conn, direction, kind, flags, status, id, body length, summary).
The summary names the method for requests (first Hessian strings of the body). Stops on SIGTERM/SIGINT.
"""
import argparse
import os
import signal
import socket
import struct
import sys
import threading

MAGIC = b"\xda\xbb"
lock = threading.Lock()
seq = [0]
index = None


def hessian_strings(body, n):
    """Best-effort read of the first n compact/short Hessian strings (for the index summary only)."""
    out, i = [], 0
    while len(out) < n and i < len(body):
        b = body[i]
        if b <= 0x1F:
            ln, i = b, i + 1
        elif 0x30 <= b <= 0x33:
            if i + 1 >= len(body):
                break
            ln, i = ((b - 0x30) << 8) + body[i + 1], i + 2
        elif b == 0x53:
            if i + 2 >= len(body):
                break
            ln, i = (body[i + 1] << 8) + body[i + 2], i + 3
        elif b == 0x4E:
            out.append(None)
            i += 1
            continue
        else:
            break
        # ln counts UTF-16 units; decode char by char (CESU-8 style)
        chars, j = [], i
        for _ in range(ln):
            c = body[j]
            w = 1 if c < 0x80 else 2 if c < 0xE0 else 3
            chars.append(body[j:j + w])
            j += w
        out.append(b"".join(chars).decode("utf-8", "replace"))
        i = j
    return out


def kind_of(flags, body):
    req = bool(flags & 0x80)
    two_way = bool(flags & 0x40)
    event = bool(flags & 0x20)
    if req:
        if event:
            return "heartbeat-req" if two_way else "event"
        return "req" if two_way else "req-oneway"
    return "heartbeat-resp" if event else "resp"


def summary(flags, status, body):
    if flags & 0x20:
        return "event body=" + body.hex()
    if flags & 0x80:
        s = hessian_strings(body, 5)
        if len(s) >= 4:
            return "dubbo=%s path=%s version=%s method=%s desc=%s" % tuple((s + [""])[:5])
        return "request (unparsed)"
    if status != 20:
        s = hessian_strings(body, 1)
        return "status=%d error=%s" % (status, (s[0] or "")[:120] if s else "?")
    return "status=20 flag=0x%02x" % body[0] if body else "status=20 empty"


def record(conn_id, direction, frame, out):
    flags, status = frame[2], frame[3]
    rid = struct.unpack(">q", frame[4:12])[0]
    blen = struct.unpack(">i", frame[12:16])[0]
    body = frame[16:]
    kind = kind_of(flags, body)
    with lock:
        seq[0] += 1
        n = seq[0]
        name = "%04d-%s-%s.bin" % (n, direction, kind)
        with open(os.path.join(out, name), "wb") as f:
            f.write(frame)
        index.write("%d\t%d\t%s\t%s\t0x%02x\t%d\t%d\t%d\t%s\n" % (
            n, conn_id, direction, kind, flags, status, rid, blen, summary(flags, status, body)))
        index.flush()


def pump(conn_id, direction, src, dst, out):
    buf = bytearray()
    raw = open(os.path.join(out, "conn%d-%s.raw" % (conn_id, direction)), "wb")
    try:
        while True:
            data = src.recv(1 << 16)
            if not data:
                break
            raw.write(data)
            buf += data
            # record complete frames BEFORE forwarding them, so that the numbering follows causality
            # (a reply forwarded first could trigger the next request before this frame is numbered)
            while len(buf) >= 16:
                if buf[:2] != MAGIC:
                    # not a dubbo frame (telnet?): stop parsing this stream, keep forwarding
                    buf.clear()
                    break
                blen = struct.unpack(">i", bytes(buf[12:16]))[0]
                if len(buf) < 16 + blen:
                    break
                record(conn_id, direction, bytes(buf[:16 + blen]), out)
                del buf[:16 + blen]
            dst.sendall(data)
    except OSError:
        pass
    finally:
        raw.close()
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    global index
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ready-file")
    a = ap.parse_args()
    lh, lp = a.listen.rsplit(":", 1)
    uh, up = a.upstream.rsplit(":", 1)
    os.makedirs(a.out, exist_ok=True)
    index = open(os.path.join(a.out, "index.tsv"), "a")
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((lh, int(lp)))
    srv.listen(16)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    if a.ready_file:
        with open(a.ready_file, "w") as f:
            f.write("%d\n" % srv.getsockname()[1])
    print("capture proxy %s:%d -> %s:%s, frames in %s" % (lh, srv.getsockname()[1], uh, up, a.out),
          file=sys.stderr, flush=True)
    conn_id = 0
    while True:
        c, _ = srv.accept()
        conn_id += 1
        u = socket.create_connection((uh, int(up)))
        for s in (c, u):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=pump, args=(conn_id, "c2s", c, u, a.out), daemon=True).start()
        threading.Thread(target=pump, args=(conn_id, "s2c", u, c, a.out), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
