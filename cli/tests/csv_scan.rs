//! The input check's scanner (`csv_rules`, with its fast path for the common records)
//! against the state machine it had before (`reference`): the same `Checked` or the same
//! first `Problem`, and the same line and record after every piece, on generated inputs
//! cut into pieces every way (whole, one byte at a time, random cuts), under both APIs'
//! rules.

#[path = "csv_scan/reference.rs"]
mod reference;

use sfbulk_cli::csv_rules::{
    Checked, MAX_FIELD_CHARS, MAX_HEADER_CHARS_V2, MAX_RECORD_CHARS, Problem, Rules, TestScanner,
};
use sfbulk_cli::validate::detect_delimiter;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What one run saw: (line, record) after each piece, then the result.
type Run = (Vec<(u64, u64)>, Result<Checked, Problem>);

trait Scan {
    fn new(delim: u8, rules: Rules, offset: u64) -> Self;
    fn scan(
        &mut self,
        data: &[u8],
        reread: &mut dyn FnMut(u64, u64) -> Result<u64, String>,
    ) -> Result<(), Problem>;
    fn here(&self) -> (u64, u64);
    fn finish(
        self,
        reread: &mut dyn FnMut(u64, u64) -> Result<u64, String>,
    ) -> Result<Checked, Problem>;
}

impl Scan for TestScanner {
    fn new(delim: u8, rules: Rules, offset: u64) -> Self {
        TestScanner::new(delim, rules, offset)
    }
    fn scan(
        &mut self,
        data: &[u8],
        reread: &mut dyn FnMut(u64, u64) -> Result<u64, String>,
    ) -> Result<(), Problem> {
        TestScanner::scan(self, data, reread)
    }
    fn here(&self) -> (u64, u64) {
        let p = self.problem_here(String::new());
        (p.line, p.record)
    }
    fn finish(
        self,
        reread: &mut dyn FnMut(u64, u64) -> Result<u64, String>,
    ) -> Result<Checked, Problem> {
        TestScanner::finish(self, reread)
    }
}

impl Scan for reference::Scanner {
    fn new(delim: u8, rules: Rules, offset: u64) -> Self {
        reference::Scanner::new(delim, rules, offset)
    }
    fn scan(
        &mut self,
        data: &[u8],
        reread: &mut dyn FnMut(u64, u64) -> Result<u64, String>,
    ) -> Result<(), Problem> {
        reference::Scanner::scan(self, data, reread)
    }
    fn here(&self) -> (u64, u64) {
        let p = self.problem_here(String::new());
        (p.line, p.record)
    }
    fn finish(
        self,
        reread: &mut dyn FnMut(u64, u64) -> Result<u64, String>,
    ) -> Result<Checked, Problem> {
        reference::Scanner::finish(self, reread)
    }
}

/// The pass over `data` the way `validate::check_file` drives it (one BOM dropped, the
/// delimiter detected from the start), in pieces ending at `cuts` (ascending).
fn run<S: Scan>(data: &[u8], cuts: &[usize], rules: Rules) -> Run {
    let start = if data.starts_with(BOM) { BOM.len() } else { 0 };
    let delim = rules
        .delimiter
        .unwrap_or_else(|| detect_delimiter(&data[start..]));
    let mut reread = |from: u64, len: u64| -> Result<u64, String> {
        let bytes = &data[from as usize..(from + len) as usize];
        Ok(bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64)
    };
    let mut s = S::new(delim, rules, start as u64);
    let mut seen = Vec::new();
    let mut at = start;
    for &cut in cuts
        .iter()
        .filter(|&&c| c > start)
        .chain([data.len()].iter())
    {
        let cut = cut.min(data.len());
        if cut < at {
            continue;
        }
        if let Err(p) = s.scan(&data[at..cut], &mut reread) {
            return (seen, Err(p));
        }
        seen.push(s.here());
        at = cut;
    }
    (seen, s.finish(&mut reread))
}

/// Both scanners agree on `data` cut at `cuts`.
fn agree(data: &[u8], cuts: &[usize], rules: Rules) {
    let want = run::<reference::Scanner>(data, cuts, rules);
    let got = run::<TestScanner>(data, cuts, rules);
    if got != want {
        let shown = String::from_utf8_lossy(&data[..data.len().min(600)]);
        panic!(
            "differs on {shown:?} ({} bytes) cut at {cuts:?} under {rules:?}:\n  reference {:?}\n  new       {:?}",
            data.len(),
            want.1,
            got.1
        );
    }
}

/// xorshift64*: a repeatable generator, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

const HEADERS: &[&str] = &[
    "Name,Description",
    "Name",
    "a,b,c",
    "Name;Description;X",
    "Name\tB",
    "Name|B|C",
    "\"Name\",\"Description\"",
    "\"Na\"\"me\",B",
    "Name,Name",
    "1bad,x",
    "Name,",
    "",
    "\u{FEFF}Name,Description",
    "Account.Ext__c,Type:Owner.Name",
    "Name,\"B\"x",
    "Name,\"B",
    "Name,\"B\r\nC\"",
];

const ENDS: &[&str] = &["\n", "\r\n", "\r", "\n\n", "\r\n\r\n", "\r\r\n", "\n\r"];

const PIECES: &[&str] = &[
    "a", "é", ",", ";", "\t", "\"", "\"\"", "\r", "\n", "\r\n", " ", "x y", "|",
];

/// One value: mostly well formed, sometimes not.
fn value(rng: &mut Rng, delim: u8) -> String {
    match rng.below(12) {
        0 => String::new(),
        1..=3 => {
            let mut v = String::new();
            for _ in 0..rng.below(20) {
                v.push_str(rng.pick(&["a", "b", "é", " ", "z9", "'"]));
            }
            v
        }
        4..=7 => {
            let mut v = String::from("\"");
            for _ in 0..rng.below(24) {
                v.push_str(rng.pick(&[
                    "a", "é", "\"\"", ",", ";", "\t", " ", "\r\n", "\n", "\r", "xyz",
                ]));
            }
            v.push('"');
            v
        }
        8 => "a".repeat(rng.below(300)),
        9 => format!("\"{}\"{}", "q", rng.pick(&["x", " ", "\"", "é"])),
        10 => {
            let mut v = String::new();
            for _ in 0..rng.below(10) {
                v.push_str(rng.pick(PIECES));
            }
            v
        }
        _ => (delim as char).to_string(),
    }
}

fn generate(rng: &mut Rng) -> Vec<u8> {
    let mut s = String::new();
    if rng.below(8) == 0 {
        s.push('\u{FEFF}');
    }
    for _ in 0..rng.below(3) {
        if rng.below(4) == 0 {
            s.push_str(rng.pick(ENDS));
        }
    }
    let header = rng.pick(HEADERS);
    s.push_str(header);
    let cols = header.matches([',', ';', '\t', '|']).count() + 1;
    let delim = match rng.below(6) {
        0 => b';',
        1 => b'\t',
        _ => b',',
    };
    if rng.below(10) != 0 {
        s.push_str(rng.pick(ENDS));
    }
    if rng.below(6) == 0 {
        // Free text.
        for _ in 0..rng.below(80) {
            s.push_str(rng.pick(PIECES));
        }
    } else {
        let rows = rng.below(12);
        for r in 0..rows {
            let n = match rng.below(10) {
                0 => cols + 1,
                1 if cols > 1 => cols - 1,
                _ => cols,
            };
            for f in 0..n {
                if f > 0 {
                    s.push(delim as char);
                }
                s.push_str(&value(rng, delim));
            }
            if r + 1 < rows || rng.below(3) != 0 {
                s.push_str(rng.pick(ENDS));
            }
        }
    }
    s.into_bytes()
}

fn rules(rng: &mut Rng) -> Rules {
    match rng.below(4) {
        0 => Rules::bulk1(),
        1 => Rules::bulk2(150_000_000),
        _ => Rules::bulk2(10 + rng.below(150) as u64),
    }
}

/// Every way of cutting `data` into pieces the test tries.
fn cuttings(rng: &mut Rng, len: usize, bytewise: bool) -> Vec<Vec<usize>> {
    let mut all = vec![vec![]];
    if bytewise {
        all.push((1..len).collect());
    }
    for _ in 0..3 {
        let mut cuts: Vec<usize> = (0..rng.below(6) + 1).map(|_| rng.below(len + 1)).collect();
        cuts.sort_unstable();
        all.push(cuts);
    }
    // Pieces of 1–16 bytes.
    let mut cuts = Vec::new();
    let mut at = 0;
    while at < len {
        at += 1 + rng.below(16);
        cuts.push(at);
    }
    all.push(cuts);
    all
}

#[test]
fn the_fast_path_agrees_with_the_state_machine_on_generated_inputs() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..6_000 {
        let data = generate(&mut rng);
        for cuts in cuttings(&mut rng, data.len(), true) {
            let r = rules(&mut rng);
            agree(&data, &cuts, r);
            agree(&data, &cuts, Rules::bulk1());
        }
    }
}

#[test]
fn the_fast_path_agrees_on_many_good_records() {
    // The common shape, with the odd bad record among them.
    let mut rng = Rng(7);
    for round in 0..40 {
        let mut s = String::from(if round % 2 == 0 {
            "Name,Description\r\n"
        } else {
            "Name,Description\n"
        });
        for i in 0..200 {
            match rng.below(60) {
                0 => s.push_str("bad\"after\",\"x\"y\n"),
                1 => s.push_str("one\n"),
                2 => s.push_str("\"multi\r\nline\",\"a\nb\rc\"\r\n"),
                3 => s.push_str("\n\r\n"),
                _ => s.push_str(&format!("Bench Account {i},\"row, {i} \"\"q\"\"\"\n")),
            }
        }
        let data = s.into_bytes();
        for cuts in cuttings(&mut rng, data.len(), round < 4) {
            agree(&data, &cuts, Rules::bulk1());
            agree(&data, &cuts, Rules::bulk2(150_000_000));
            agree(&data, &cuts, Rules::bulk2(40 + rng.below(20) as u64));
        }
    }
}

#[test]
fn the_fast_path_agrees_at_the_limits() {
    let f = MAX_FIELD_CHARS as usize;
    let r = MAX_RECORD_CHARS as usize;
    let h = MAX_HEADER_CHARS_V2 as usize;
    let mut cases: Vec<String> = vec![
        format!("Name,B\nx,{}\ny,z\n", "a".repeat(f)),
        format!("Name,B\nx,{}\ny,z\n", "a".repeat(f + 1)),
        format!("Name,B\nx,{}\ny,z\n", "é".repeat(f)),
        format!("Name,B\nx,{}\ny,z\n", "é".repeat(f / 2 + 1)),
        format!("Name,B\nx,\"{}\"\ny,z\n", "a".repeat(f)),
        format!("Name,B\nx,\"{}\"\ny,z\n", "a".repeat(f + 1)),
        format!("Name,B\nx,\"{}\"\"\"\ny,z\n", "a".repeat(f - 1)),
        format!("Name,B\nx,\"{}\"\"\"\ny,z\n", "a".repeat(f)),
        format!("Name,B\nx,\"{}\"\"\"\ny,z\n", "é".repeat(f - 1)),
        format!("Name,B\nx,\"{}\"\"\"", "é".repeat(f)),
        format!("Name,B\nx,\"{}", "a".repeat(4 * f + 8)),
        format!(
            "Name,B,C,D\n{0},{0},{0},{1}\n",
            "a".repeat(f),
            "b".repeat(r - 3 * f - 3)
        ),
        format!(
            "Name,B,C,D\n{0},{0},{0},{1}\n",
            "a".repeat(f),
            "b".repeat(r - 3 * f - 2)
        ),
        format!(
            "Name,B,C,D\n{0},{0},{0},{1}\n",
            "é".repeat(f),
            "b".repeat(10)
        ),
        format!("Name,B\r\n{},b\r\n", "x".repeat(f)),
        format!("{}\nx\n", "A".repeat(h)),
        format!("{}\nx\n", "A".repeat(h + 1)),
        format!("{}\nx\n", vec!["A"; 5_001].join(",")),
    ];
    cases.push(format!("Name,B\n{}", "x,y\n".repeat(20_000)));
    let mut rng = Rng(11);
    for (n, case) in cases.iter().enumerate() {
        let data = case.as_bytes();
        for cuts in cuttings(&mut rng, data.len(), n < 3) {
            agree(data, &cuts, Rules::bulk1());
            agree(data, &cuts, Rules::bulk2(150_000_000));
            agree(data, &cuts, Rules::bulk2(200_000));
        }
    }
}
