//! The 2.0 join's result index: its entries sorted in place by key and searched (the index
//! itself, its outcomes and its tests are `sfbulk::join_v2`'s).

use crate::fingerprint::Key;

/// One result row: its fingerprint and where its outcome is (`sfbulk::join_v2::ResultIndex`'s
/// outcomes).
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The key's first 64 bits.
    pub hi: u64,
    /// Its last 32.
    pub lo: u32,
    /// Where its outcome is (grows in file order).
    pub at: u32,
}

impl Entry {
    /// Its fingerprint.
    pub fn key(&self) -> Key {
        Key(self.hi, self.lo)
    }
}

/// Below this many entries a job's index is sorted into runs of 8 bits and searched whole:
/// runs of 16 bits and their prefix index cost 2^16 counters (and a copy) whatever the size.
pub const SMALL_INDEX: usize = 1 << 14;

/// Sorts entries by key, then file order (`at`, which grows in file order), in place: an
/// American flag sort moves each entry straight into the run of its top 16 bits (8 below
/// [`SMALL_INDEX`] entries), with no second buffer of entries, then each run is heap-sorted
/// by key and `at` (identical rows keep their file order). Returns where the entries of each
/// value of the top 16 bits start, and their count last (the index's `starts`); empty below
/// [`SMALL_INDEX`] entries.
pub fn sort(entries: &mut [Entry]) -> Vec<u32> {
    let bits = if entries.len() < SMALL_INDEX { 8 } else { 16 };
    let top = |e: &Entry| (e.hi >> (64 - bits)) as usize;
    let runs = 1usize << bits;
    // Counted in u32: fewer than 2^32 entries of 16 bytes fit in memory (wasm32's 4 GiB).
    let mut starts = vec![0u32; runs + 1];
    for e in entries.iter() {
        starts[top(e) + 1] += 1;
    }
    for r in 0..runs {
        starts[r + 1] += starts[r];
    }
    // `next[r]`: the first place of run r not yet holding one of its entries. An entry taken
    // from there is carried to its own run, and the one it displaces onward, until one of
    // run r fills the place.
    let mut next = starts.clone();
    for r in 0..runs {
        while next[r] < starts[r + 1] {
            let mut e = entries[next[r] as usize];
            let mut d = top(&e);
            while d != r {
                let slot = next[d] as usize;
                next[d] += 1;
                std::mem::swap(&mut e, &mut entries[slot]);
                d = top(&e);
            }
            entries[next[r] as usize] = e;
            next[r] += 1;
        }
    }
    for r in 0..runs {
        heap_sort(&mut entries[starts[r] as usize..starts[r + 1] as usize]);
    }
    if bits != 16 {
        return Vec::new();
    }
    starts
}

/// Sorts a run by key, then `at`; in place, at most ~2 n log n comparisons whatever the
/// order (a run of identical rows included).
fn heap_sort(v: &mut [Entry]) {
    let less = |a: &Entry, b: &Entry| (a.hi, a.lo, a.at) < (b.hi, b.lo, b.at);
    let sift = |v: &mut [Entry], mut root: usize, end: usize| loop {
        let mut child = 2 * root + 1;
        if child >= end {
            break;
        }
        if child + 1 < end && less(&v[child], &v[child + 1]) {
            child += 1;
        }
        if !less(&v[root], &v[child]) {
            break;
        }
        v.swap(root, child);
        root = child;
    };
    let n = v.len();
    for i in (0..n / 2).rev() {
        sift(v, i, n);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift(v, 0, end);
    }
}

/// The first entry not `taken` (a bit per sorted position) whose key is `key`: its position
/// and where its outcome is. `starts`: [`sort`]'s runs (empty: the entries are searched
/// whole). The taken entries of a key come first (they are taken in order).
pub fn untaken(entries: &[Entry], starts: &[u32], taken: &[u64], key: Key) -> Option<(usize, u32)> {
    let (from, to) = match starts {
        [] => (0, entries.len()),
        starts => {
            let top = (key.0 >> 48) as usize;
            (starts[top] as usize, starts[top + 1] as usize)
        }
    };
    let start = from + entries[from..to].partition_point(|e| e.key() < key);
    let same = |e: Option<&Entry>| e.is_some_and(|e| e.key() == key);
    // Mostly one result per key: look at the next before searching.
    let end = if !same(entries.get(start + 1)) {
        start + usize::from(same(entries.get(start)))
    } else {
        start + entries[start..].partition_point(|e| e.key() == key)
    };
    // The first one not taken.
    let (mut lo, mut hi) = (start, end);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if taken[mid / 64] & (1 << (mid % 64)) != 0 {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    (lo < end).then(|| (lo, entries[lo].at))
}
