//! The core without a kernel: bytes and time fed by hand, every step
//! checked. The drivers' tests (tests/engine_loop.rs, tests/tokio_loop.rs)
//! run the same core against real events.

use super::{Batching, WatcherConfig, WatcherCore, WatcherItem, WatcherStep};
use crate::event::Encoder;
use crate::mask::EventMask;
use crate::watch_table::FixedWatchTable;
use core::time::Duration;

const MS: Duration = Duration::from_millis(1);

#[test]
fn a_cycle_reads_hands_out_then_idles_and_times_out() {
    let mut buf = [0u8; 1024];
    let mut enc = Encoder::new(&mut buf);
    enc.push(1, EventMask::CREATE, 0, b"a").unwrap();
    enc.push(1, EventMask::UNMOUNT, 0, b"").unwrap();
    let len = enc.len();
    let mut watches = FixedWatchTable::<2, 64>::fixed();
    let mut core = WatcherCore::new(Duration::ZERO);
    *core.config_mut() = WatcherConfig {
        block: 10 * MS,
        timeout: Some(25 * MS),
        batching: Batching::Off,
        ..WatcherConfig::default()
    };
    let mut t = Duration::ZERO;
    let mut clock = || t;

    // Nothing read yet: wait a cycle, timed from the clock.
    let step = core.poll(&buf, &mut watches, &mut clock).unwrap();
    assert_eq!(
        step,
        WatcherStep::Wait {
            since: Duration::ZERO,
            timeout: 10 * MS
        }
    );
    core.woke(true, &mut clock);
    assert_eq!(
        core.poll(&buf, &mut watches, &mut clock).unwrap(),
        WatcherStep::Read
    );
    core.read_done(len, buf.len());
    let WatcherStep::Event(found) = core.poll(&buf, &mut watches, &mut clock).unwrap() else {
        panic!("no event")
    };
    let WatcherItem::Event(e) = found.next(&buf, &watches) else {
        panic!()
    };
    assert_eq!((e.name(), e.watch_path), (&b"a"[..], None));
    // A terminal event is handed out, then the loop has ended.
    let WatcherStep::Event(found) = core.poll(&buf, &mut watches, &mut clock).unwrap() else {
        panic!("no event")
    };
    assert!(matches!(
        found.next(&buf, &watches),
        WatcherItem::Terminal(_)
    ));
    assert_eq!(
        core.poll(&buf, &mut watches, &mut clock).unwrap(),
        WatcherStep::Ended
    );

    // Resumed at 5 ms: a short read means the queue was empty, so the next
    // step waits instead of reading again.
    t = 5 * MS;
    core.resume(t);
    let mut clock = || t;
    assert!(matches!(
        core.poll(&buf, &mut watches, &mut clock).unwrap(),
        WatcherStep::Wait { .. }
    ));
    core.woke(false, &mut clock);
    assert_eq!(
        core.poll(&buf, &mut watches, &mut clock).unwrap(),
        WatcherStep::Idle
    );
    // The last cycle is cut to what is left of the timeout (25 ms from 5).
    t = 25 * MS;
    let mut clock = || t;
    let step = core.poll(&buf, &mut watches, &mut clock).unwrap();
    assert_eq!(
        step,
        WatcherStep::Wait {
            since: t,
            timeout: 5 * MS
        }
    );
    core.woke(false, &mut clock);
    assert_eq!(
        core.poll(&buf, &mut watches, &mut clock).unwrap(),
        WatcherStep::TimedOut
    );
    assert_eq!(
        core.poll(&buf, &mut watches, &mut clock).unwrap(),
        WatcherStep::Ended
    );
}

#[test]
fn adaptive_batching_waits_only_under_load() {
    let mut buf = [0u8; 4096];
    let mut enc = Encoder::new(&mut buf);
    for _ in 0..10 {
        enc.push(1, EventMask::CREATE, 0, b"f").unwrap();
    }
    let len = enc.len();
    let mut watches = FixedWatchTable::<2, 64>::fixed();
    let mut core = WatcherCore::new(Duration::ZERO);
    *core.config_mut() = WatcherConfig {
        batching: Batching::Adaptive {
            threshold: 1000,
            window: MS,
        },
        ..WatcherConfig::default()
    };
    let mut t = Duration::from_secs(10);
    let mut drain = |core: &mut WatcherCore, t: Duration| {
        let mut clock = || t;
        core.woke(true, &mut clock);
        let first = core.poll(&buf, &mut watches, &mut clock).unwrap();
        if first != WatcherStep::Read {
            assert_eq!(
                core.poll(&buf, &mut watches, &mut clock).unwrap(),
                WatcherStep::Read
            );
        }
        core.read_done(len, buf.len());
        while let WatcherStep::Event(_) = core.poll(&buf, &mut watches, &mut clock).unwrap() {}
        first
    };
    // After a long quiet spell: read at once.
    assert_eq!(drain(&mut core, t), WatcherStep::Read);
    // 10 events in the last 2 ms (5000/s, above 1000/s): wait for more.
    t += 2 * MS;
    let full = buf.len();
    assert_eq!(drain(&mut core, t), WatcherStep::Batch { window: MS, full });
    // 10 events in the last second (10/s): read at once again.
    t += Duration::from_secs(1);
    assert_eq!(drain(&mut core, t), WatcherStep::Read);
}
