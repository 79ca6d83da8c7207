#!/usr/bin/env python3
"""Dump a captured Dubbo frame (16-byte header + Hessian2 body) as readable text (stdlib only).

    hessian_dump.py FILE.bin [...]

A debugging aid for the golden files; it decodes the Hessian 2 subset Java Dubbo writes.
Strings are decoded as CESU-8 (surrogate pairs as two 3-byte sequences), as hessian-lite writes them.
"""
import struct
import sys


class Reader:
    def __init__(self, data):
        self.d, self.i = data, 0
        self.classes, self.types, self.refs = [], [], 0

    def u8(self):
        b = self.d[self.i]
        self.i += 1
        return b

    def take(self, n):
        s = self.d[self.i:self.i + n]
        if len(s) != n:
            raise EOFError("need %d bytes at %d" % (n, self.i))
        self.i += n
        return s

    def eof(self):
        return self.i >= len(self.d)

    def utf16_units(self, n):
        out = bytearray()
        for _ in range(n):
            c = self.d[self.i]
            w = 1 if c < 0x80 else 2 if c < 0xE0 else 3
            out += self.take(w)
        # CESU-8 -> str: decode each unit, then join surrogates
        units, j = [], 0
        while j < len(out):
            c = out[j]
            if c < 0x80:
                units.append(c); j += 1
            elif c < 0xE0:
                units.append(((c & 0x1F) << 6) | (out[j + 1] & 0x3F)); j += 2
            else:
                units.append(((c & 0x0F) << 12) | ((out[j + 1] & 0x3F) << 6) | (out[j + 2] & 0x3F)); j += 3
        return struct.pack(">%dH" % len(units), *units).decode("utf-16-be", "surrogatepass")

    def string_tail(self, tag):
        if tag <= 0x1F:
            return self.utf16_units(tag)
        if 0x30 <= tag <= 0x33:
            return self.utf16_units(((tag - 0x30) << 8) + self.u8())
        parts = []
        while True:
            n = struct.unpack(">H", self.take(2))[0]
            parts.append(self.utf16_units(n))
            if tag == 0x53:
                return "".join(parts)
            tag = self.u8()
            if tag == 0x53 or tag == 0x52:
                continue
            if tag <= 0x1F or 0x30 <= tag <= 0x33:
                parts.append(self.string_tail(tag))
                return "".join(parts)
            raise ValueError("bad string chunk tag 0x%02x" % tag)

    def read_type(self):
        t = self.value()
        if isinstance(t, int):
            return self.types[t]
        self.types.append(t)
        return t

    def int_value(self):
        v = self.value()
        if not isinstance(v, int):
            raise ValueError("expected int, got %r" % (v,))
        return v

    def value(self):
        b = self.u8()
        if b == 0x4E: return None
        if b == 0x54: return True
        if b == 0x46: return False
        if 0x80 <= b <= 0xBF: return b - 0x90
        if 0xC0 <= b <= 0xCF: return ((b - 0xC8) << 8) + self.u8()
        if 0xD0 <= b <= 0xD7: return ((b - 0xD4) << 16) + (self.u8() << 8) + self.u8()
        if b == 0x49: return struct.unpack(">i", self.take(4))[0]
        if 0xD8 <= b <= 0xEF: return Long(b - 0xE0)
        if 0xF0 <= b <= 0xFF: return Long(((b - 0xF8) << 8) + self.u8())
        if 0x38 <= b <= 0x3F: return Long(((b - 0x3C) << 16) + (self.u8() << 8) + self.u8())
        if b == 0x59: return Long(struct.unpack(">i", self.take(4))[0])
        if b == 0x4C: return Long(struct.unpack(">q", self.take(8))[0])
        if b == 0x5B: return 0.0
        if b == 0x5C: return 1.0
        if b == 0x5D: return float(struct.unpack(">b", self.take(1))[0])
        if b == 0x5E: return float(struct.unpack(">h", self.take(2))[0])
        if b == 0x5F: return struct.unpack(">i", self.take(4))[0] / 1000.0
        if b == 0x44: return struct.unpack(">d", self.take(8))[0]
        if b == 0x4A: return Date(struct.unpack(">q", self.take(8))[0], "ms")
        if b == 0x4B: return Date(struct.unpack(">i", self.take(4))[0] * 60000, "minutes")
        if b <= 0x1F or 0x30 <= b <= 0x33 or b in (0x52, 0x53): return self.string_tail(b)
        if 0x20 <= b <= 0x2F: return Binary(self.take(b - 0x20))
        if 0x34 <= b <= 0x37: return Binary(self.take(((b - 0x34) << 8) + self.u8()))
        if b in (0x41, 0x42):
            out = bytearray()
            while True:
                n = struct.unpack(">H", self.take(2))[0]
                out += self.take(n)
                if b == 0x42: return Binary(bytes(out))
                b = self.u8()
                if 0x20 <= b <= 0x2F: out += self.take(b - 0x20); return Binary(bytes(out))
                if 0x34 <= b <= 0x37: out += self.take(((b - 0x34) << 8) + self.u8()); return Binary(bytes(out))
        if b == 0x55: return self.list_items(self.read_type(), None)
        if b == 0x56: t = self.read_type(); return self.list_items(t, self.int_value())
        if b == 0x57: return self.list_items(None, None)
        if b == 0x58: return self.list_items(None, self.int_value())
        if 0x70 <= b <= 0x77: return self.list_items(self.read_type(), b - 0x70)
        if 0x78 <= b <= 0x7F: return self.list_items(None, b - 0x78)
        if b == 0x48: return self.map_items(None)
        if b == 0x4D: return self.map_items(self.read_type())
        if b == 0x43:
            name = self.value()
            n = self.int_value()
            self.classes.append((name, [self.value() for _ in range(n)]))
            return self.value()  # a class definition is followed by the instance
        if b == 0x4F: return self.obj(self.int_value())
        if 0x60 <= b <= 0x6F: return self.obj(b - 0x60)
        if b == 0x51: return Ref(self.int_value())
        raise ValueError("unknown tag 0x%02x at %d" % (b, self.i - 1))

    def list_items(self, typ, n):
        idx = self.refs; self.refs += 1
        items = []
        if n is None:
            while self.d[self.i] != 0x5A:
                items.append(self.value())
            self.i += 1
        else:
            items = [self.value() for _ in range(n)]
        return HList(typ, items, idx)

    def map_items(self, typ):
        idx = self.refs; self.refs += 1
        entries = []
        while self.d[self.i] != 0x5A:
            k = self.value()
            entries.append((k, self.value()))
        self.i += 1
        return HMap(typ, entries, idx)

    def obj(self, ci):
        idx = self.refs; self.refs += 1
        name, fields = self.classes[ci]
        return HObj(name, [(f, self.value()) for f in fields], idx)


class Long(int):
    def __repr__(self): return "%dL" % self
class Date:
    def __init__(self, ms, form): self.ms, self.form = ms, form
    def __repr__(self): return "Date(%d ms, %s form)" % (self.ms, self.form)
class Binary(bytes):
    def __repr__(self):
        return "bin[%d]%s" % (len(self), " " + self.hex() if len(self) <= 32 else " " + self[:16].hex() + "...")
class Ref:
    def __init__(self, n): self.n = n
    def __repr__(self): return "ref#%d" % self.n
class HList:
    def __init__(self, t, items, idx): self.t, self.items, self.idx = t, items, idx
class HMap:
    def __init__(self, t, entries, idx): self.t, self.entries, self.idx = t, entries, idx
class HObj:
    def __init__(self, name, fields, idx): self.name, self.fields, self.idx = name, fields, idx


def show(v, ind=0, out=None):
    pad = "  " * ind
    if isinstance(v, HList):
        out.append("%slist#%d %s[%d]" % (pad, v.idx, v.t or "(untyped)", len(v.items)))
        for x in v.items[:20]: show(x, ind + 1, out)
        if len(v.items) > 20: out.append(pad + "  ...")
    elif isinstance(v, HMap):
        out.append("%smap#%d %s" % (pad, v.idx, v.t or "(untyped H)"))
        for k, x in v.entries:
            out.append("%s  %r =>" % (pad, k)); show(x, ind + 2, out)
    elif isinstance(v, HObj):
        out.append("%sobject#%d %s" % (pad, v.idx, v.name))
        for f, x in v.fields:
            if isinstance(x, (HList, HMap, HObj)):
                out.append("%s  .%s =" % (pad, f)); show(x, ind + 2, out)
            else:
                out.append("%s  .%s = %s" % (pad, f, short(x)))
    else:
        out.append(pad + short(v))
    return out


def short(x):
    r = repr(x)
    return r if len(r) <= 200 else r[:200] + "...(%d chars)" % len(r)


def dump(path):
    data = open(path, "rb").read()
    flags, status = data[2], data[3]
    rid, blen = struct.unpack(">qi", data[4:16])
    print("== %s: flags=0x%02x (%s%s%s ser=%d) status=%d id=%d body=%d bytes" % (
        path, flags, "REQ" if flags & 0x80 else "RESP", " TWOWAY" if flags & 0x40 else "",
        " EVENT" if flags & 0x20 else "", flags & 0x1F, status, rid, blen))
    r = Reader(data[16:16 + blen])
    n = 0
    while not r.eof():
        v = r.value()
        print("\n".join(show(v, 1, ["  [%d]" % n])))
        n += 1


if __name__ == "__main__":
    for p in sys.argv[1:]:
        dump(p)
