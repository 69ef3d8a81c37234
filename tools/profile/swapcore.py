# swapcore.py COMPONENT NEWCORE OUT: the component with its largest core module replaced (a
# names-kept, wasm-opt'd one for profiling; see callgrind.sh).
import sys
def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1
        r |= (x & 0x7f) << s; s += 7
        if x < 0x80: return r, i
def wleb(v):
    out = bytearray()
    while True:
        b = v & 0x7f; v >>= 7
        if v == 0: out.append(b); return bytes(out)
        out.append(b | 0x80)
d = open(sys.argv[1],'rb').read(); core = open(sys.argv[2],'rb').read()
i = 8; secs = []
while i < len(d):
    sid = d[i]; st = i; i += 1; size, i = leb(d, i); secs.append((sid, st, i, i+size)); i += size
big = max((s for s in secs if s[0]==1), key=lambda s: s[3]-s[2])
out = d[:big[1]] + bytes([1]) + wleb(len(core)) + core + d[big[3]:]
open(sys.argv[3],'wb').write(out); print(len(out))
