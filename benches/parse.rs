//! The validating parser against a floor: a loop that only hops from header
//! to header reading `len`, checking nothing. Both walk the same 64 KiB
//! buffer of realistic events in the same run; the ratio of their medians
//! is what the README reports.
//!
//! `cargo bench --bench parse`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use zinotify::{Encoder, EventMask, Events};

/// The size of the buffer: a large `read(2)` from an inotify descriptor.
const BUF_LEN: usize = 64 * 1024;

/// xorshift64*: a deterministic stream without a `rand` dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Fills a 64 KiB buffer with events like a busy tree produces: names of
/// 0 to 64 bytes, creates, writes, closes, deletes, directories (ISDIR),
/// and renames as MOVED_FROM/MOVED_TO pairs sharing a cookie. Returns the
/// buffer, cut to the bytes used, and the number of events.
fn realistic_events() -> (Vec<u8>, u64) {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789._-";
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut buf = vec![0u8; BUF_LEN];
    let mut enc = Encoder::new(&mut buf);
    let mut cookie = 1000;
    let mut name = [0u8; 64];
    loop {
        let len = rng.below(65) as usize;
        for b in &mut name[..len] {
            *b = CHARS[rng.below(CHARS.len() as u64) as usize];
        }
        let wd = 1 + rng.below(500) as i32;
        let pushed = match rng.below(10) {
            0 => {
                cookie += 1;
                enc.push(wd, EventMask::MOVED_FROM, cookie, &name[..len])
                    .and_then(|()| enc.push(wd, EventMask::MOVED_TO, cookie, &name[..len]))
            }
            1 => enc.push(wd, EventMask::CREATE | EventMask::ISDIR, 0, &name[..len]),
            2 | 3 => enc.push(wd, EventMask::CREATE, 0, &name[..len]),
            4 | 5 => enc.push(wd, EventMask::MODIFY, 0, &name[..len]),
            6 | 7 => enc.push(wd, EventMask::CLOSE_WRITE, 0, &name[..len]),
            _ => enc.push(wd, EventMask::DELETE, 0, &name[..len]),
        };
        // Stop when full (a rename pair may end on its first half, as a
        // pair split across two reads does).
        if pushed.is_err() {
            break;
        }
    }
    let used = enc.len();
    let count = Events::new(&buf[..used]).count() as u64;
    buf.truncate(used);
    (buf, count)
}

/// The full parser: every event validated, every field consumed.
fn parse_all(buf: &[u8]) -> u32 {
    let mut acc = 0u32;
    for event in Events::new(buf) {
        let event = event.expect("benchmark events are valid");
        acc = acc
            .wrapping_add(event.wd as u32)
            .wrapping_add(event.mask.bits())
            .wrapping_add(event.cookie)
            .wrapping_add(event.len);
        black_box(event.name);
    }
    acc
}

/// The floor: hop header to header on `len` alone, no checks beyond the
/// bounds checks safe Rust does anyway.
fn hop_headers(buf: &[u8]) -> u32 {
    let mut at = 0;
    let mut acc = 0u32;
    while let Some(word) = buf.get(at + 12..at + 16) {
        let len = u32::from_ne_bytes(word.try_into().unwrap());
        acc = acc.wrapping_add(len);
        at += 16 + len as usize;
    }
    acc
}

fn bench(c: &mut Criterion) {
    let (buf, events) = realistic_events();
    assert_eq!(parse_all(&buf), parse_all(&buf));
    assert_eq!(
        Events::new(&buf).map(|e| e.unwrap().len).sum::<u32>(),
        hop_headers(&buf),
        "both walk the same records"
    );
    for (unit, throughput) in [
        ("events", Throughput::Elements(events)),
        ("bytes", Throughput::Bytes(buf.len() as u64)),
    ] {
        let mut group = c.benchmark_group(format!("parse-64KiB/{unit}"));
        group.throughput(throughput);
        group.bench_function(BenchmarkId::from_parameter("events-parser"), |b| {
            b.iter(|| parse_all(black_box(&buf)))
        });
        group.bench_function(BenchmarkId::from_parameter("header-hop-floor"), |b| {
            b.iter(|| hop_headers(black_box(&buf)))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
