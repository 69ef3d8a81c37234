# Extracts the largest embedded core module of a component: core_module.py IN.wasm OUT.wasm
import sys
def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1
        r |= (x & 0x7f) << s; s += 7
        if x < 0x80: return r, i
data = open(sys.argv[1], 'rb').read()
assert data[:4] == b'\0asm'
i = 8; best = None
while i < len(data):
    sid = data[i]; i += 1
    size, i = leb(data, i)
    if sid == 1 and (best is None or size > len(best)):
        best = data[i:i+size]
    i += size
open(sys.argv[2], 'wb').write(best)
print(len(best))
