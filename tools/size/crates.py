# Per-crate code size of a core module (twiggy top as csv): crates.py core.wasm
import csv, sys, re, subprocess, collections
out = subprocess.run(['twiggy','top','-n','100000','-f','csv',sys.argv[1]],capture_output=True,text=True).stdout
rows = list(csv.DictReader(out.splitlines()))
agg = collections.Counter()
for r in rows:
    name = r['Name']; size = int(r['ShallowSize'])
    if name.startswith('"') or name.startswith('data segment') or 'subsection' in name or name.startswith('custom section') or name in ('dlmalloc',) :
        key = name if size > 1000 else 'misc-sections'
        if name == 'dlmalloc': key='dlmalloc'
    else:
        n = re.sub(r'^(<|&mut |&|\(|dyn )+', '', name)
        m = re.match(r'([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?(?:::([A-Za-z_][A-Za-z0-9_]*))?', n)
        if not m: key = 'other:' + name[:30]
        else:
            c = m.group(1)
            if c == 'sfbulk' and m.group(2): c = 'sfbulk::' + m.group(2)
            if re.match(r'^[a-z_]+$', c) is None and not c.startswith('sfbulk'): c = 'other'
            key = c
        if name.startswith('sfbulk:connector'): key = 'sfbulk exports(wit)'
        if name.startswith('func['): key = 'unnamed func'
    agg[key] += size
tot = sum(agg.values())
for k, v in agg.most_common(40): print(f"{v:8d} {k}")
print(tot)
