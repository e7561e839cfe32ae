//! Fuzz target `flat`: the flat loop's sans-IO [`WatcherCore`] with no kernel.
//!
//! The input is the world the core lives in: a configuration, then, step by
//! step, what each read returns (arbitrary bytes, often well-formed events,
//! sometimes not), whether each wait ends ready, and how the clock moves.
//! A model (the parser over the same bytes) says what must come out:
//!
//! - every event read is handed out once, in order, with its bytes, and a
//!   malformed record is one error at its offset, the rest of that read
//!   dropped;
//! - a terminal event is handed out as `Terminal`, a timeout as `TimedOut`,
//!   and after either the core says `Ended` until it is resumed;
//! - `Idle` comes only after a wait that was not ready, and only with
//!   `yield_idle`; the core never asks for a read with events still
//!   buffered, nor waits while a full read may have left more queued;
//! - a `Wait` never asks for more than a cycle (`block`).

use arbitrary::Unstructured;
use core::time::Duration;
use zinotify::sans_io::{WatcherCore, WatcherStep};
use zinotify::{
    Batching, Encoder, ErrorKind, EventMask, Events, ParseError, WatchTable, WatcherConfig,
    WatcherItem,
};

/// The read buffer: small, so reads fill it and the "read again" path runs.
const BUF: usize = 512;

/// Runs one input; panics if the core and the model disagree.
pub fn fuzz_one(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(config) = config(&mut u) else {
        return;
    };
    let mut now = Duration::from_secs(1);
    let mut core = WatcherCore::new(now);
    *core.config_mut() = config;
    let mut slots = [zinotify::WatchEntry::EMPTY; 2];
    let mut bytes = [0u8; 16];
    let mut watches = WatchTable::new((&mut slots[..], &mut bytes[..]));
    let mut buf = [0u8; BUF];
    // What the model expects next: (name, mask) of events still buffered.
    let mut expected: Vec<(Vec<u8>, EventMask)> = Vec::new();
    let mut error: Option<ParseError> = None;
    let mut last_wait_ready = true;
    // The descriptor woke up, or a read filled the buffer: the core must
    // read before it waits again.
    let mut must_read = false;
    for _ in 0..200 {
        let step = core.poll(&buf, &mut watches, &mut clock_at(now));
        let step = match step {
            Ok(step) => step,
            Err(err) => {
                // Only where the model found a malformed record, after
                // every good event before it.
                assert!(expected.is_empty(), "an error before {expected:?}");
                let want = error.take().expect("an error the parser did not report");
                assert_eq!(err.kind(), ErrorKind::Malformed(want));
                continue;
            }
        };
        match step {
            WatcherStep::Event(found) => {
                let (name, mask) = expected.first().cloned().expect("an event nobody read");
                expected.remove(0);
                let (WatcherItem::Event(e) | WatcherItem::Terminal(e) | WatcherItem::Stopped(e)) =
                    found.next(&buf, &watches)
                else {
                    unreachable!("hand-out is always an event")
                };
                assert_eq!((e.name(), e.event.mask), (&name[..], mask));
                let terminal = mask.intersects(config.terminal);
                assert_eq!(
                    matches!(found.next(&buf, &watches), WatcherItem::Terminal(_)),
                    terminal
                );
                assert_eq!(core.has_ended(), terminal);
            }
            WatcherStep::Read => {
                assert!(
                    expected.is_empty() && error.is_none(),
                    "a read with events left"
                );
                let Ok(len) = read(&mut u, &mut buf) else {
                    return;
                };
                core.read_done(len, BUF);
                must_read = len > 0 && len + zinotify::MIN_BUFFER_LEN > BUF;
                model(&buf[..len], &mut expected, &mut error);
            }
            WatcherStep::Batch { window, full } => {
                assert_eq!(full, BUF);
                now += window;
            }
            WatcherStep::Wait { timeout, .. } => {
                assert!(timeout <= config.block);
                assert!(!must_read, "a wait where a read was due");
                let Ok(ready) = u.arbitrary::<bool>() else {
                    return;
                };
                if !ready {
                    now += timeout;
                }
                last_wait_ready = ready;
                must_read = ready;
                core.woke(ready, &mut clock_at(now));
            }
            WatcherStep::Idle => assert!(config.yield_idle && !last_wait_ready),
            WatcherStep::TimedOut => {
                assert!(config.timeout.is_some() && !last_wait_ready);
                assert!(core.has_ended());
            }
            WatcherStep::Ended => {
                assert!(core.has_ended());
                if u.arbitrary::<bool>().unwrap_or(false) {
                    core.resume(now);
                } else {
                    return;
                }
            }
        }
    }
}

/// The configuration: short cycles and timeouts, any terminal bits.
fn config(u: &mut Unstructured<'_>) -> arbitrary::Result<WatcherConfig> {
    let ms = |n: u8| Duration::from_millis(u64::from(n));
    let batching = match u.int_in_range(0..=2)? {
        0 => Batching::Off,
        1 => Batching::Fixed(ms(u.arbitrary()?)),
        _ => Batching::Adaptive {
            threshold: u.arbitrary()?,
            window: ms(u.arbitrary()?),
        },
    };
    Ok(WatcherConfig {
        block: ms(u.arbitrary()?),
        yield_idle: u.arbitrary()?,
        timeout: u.arbitrary::<Option<u8>>()?.map(ms),
        terminal: EventMask::from_bits_retain(u.arbitrary::<u32>()? & 0x0000_6fff),
        batching,
    })
}

/// What a read returns: well-formed events (mostly) or raw bytes.
fn read(u: &mut Unstructured<'_>, buf: &mut [u8; BUF]) -> arbitrary::Result<usize> {
    if u.ratio(1, 8)? {
        let raw: &[u8] = u.arbitrary()?;
        let len = raw.len().min(BUF);
        buf[..len].copy_from_slice(&raw[..len]);
        return Ok(len);
    }
    let count = u.int_in_range(0..=40)?;
    let mut enc = Encoder::new(&mut buf[..]);
    for _ in 0..count {
        let mask = EventMask::from_bits_retain(u.arbitrary()?);
        let name_len = u.int_in_range(0..=20)?;
        let name: Vec<u8> = (0..name_len).map(|i| b'a' + (i % 26) as u8).collect();
        if enc.push(1, mask, 0, &name).is_err() {
            break;
        }
    }
    Ok(enc.len())
}

/// The model: the parser over the same bytes.
fn model(bytes: &[u8], expected: &mut Vec<(Vec<u8>, EventMask)>, error: &mut Option<ParseError>) {
    for event in Events::new(bytes) {
        match event {
            Ok(e) => expected.push((e.name.to_vec(), e.mask)),
            Err(err) => *error = Some(err),
        }
    }
}

/// A clock that reads `now`.
fn clock_at(now: Duration) -> impl FnMut() -> Duration {
    move || now
}
