//! Event and watch masks: the kernel's `IN_*` bits as [`bitflags`] types.
//! Pure: no system calls.
//!
//! The two masks and the two spellings of names are documented on [`EventMask`].

use core::fmt;

bitflags::bitflags! {
    /// The bits the kernel reports in [`Event::mask`](crate::Event::mask).
    ///
    /// Unknown bits are kept (`from_bits_retain`), and [`names`](Self::names)
    /// names them, so nothing a newer kernel sends is lost.
    ///
    /// Two types, because the kernel uses the bits two ways:
    ///
    /// - [`EventMask`] is what the kernel *reports* in an event: the twelve event
    ///   bits plus `IN_UNMOUNT`, `IN_Q_OVERFLOW`, `IN_IGNORED` and `IN_ISDIR`.
    /// - [`WatchMask`] is what a caller *asks for* in `inotify_add_watch`: the
    ///   twelve event bits plus the watch options (`IN_ONLYDIR`,
    ///   `IN_DONT_FOLLOW`, ...).
    ///
    /// Both keep every bit they are given, known or not (`from_bits_retain`), so a
    /// newer kernel's bit is carried through and named, never dropped.
    ///
    /// MaskNames come in two spellings:
    ///
    /// - the kernel's, `"IN_CLOSE_WRITE"`, from [`EventMask::names`] — the names
    ///   of PyInotify's `type_names`, one per set bit, in ascending bit order
    ///   (PyInotify's own order is its lookup table's, `IN_MOVE_SELF` first:
    ///   compare the two as sets);
    /// - inotifywait's, `close_write`, accepted by [`WatchMask::from_event_names`]
    ///   and [`EventMask::from_event_name`] for `-e` style arguments.
    ///
    /// ```
    /// use zinotify::EventMask;
    ///
    /// let mask = EventMask::CREATE | EventMask::ISDIR;
    /// assert!(mask.contains(EventMask::CREATE));
    /// assert_eq!(mask.names().collect::<Vec<_>>(), ["IN_CREATE", "IN_ISDIR"]);
    /// ```
    #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct EventMask: u32 {
        /// `IN_ACCESS`: a file was read.
        const ACCESS = 0x0000_0001;
        /// `IN_MODIFY`: a file was written.
        const MODIFY = 0x0000_0002;
        /// `IN_ATTRIB`: metadata changed (permissions, timestamps, links, ...).
        const ATTRIB = 0x0000_0004;
        /// `IN_CLOSE_WRITE`: a file opened for writing was closed.
        const CLOSE_WRITE = 0x0000_0008;
        /// `IN_CLOSE_NOWRITE`: a file or directory not opened for writing was closed.
        const CLOSE_NOWRITE = 0x0000_0010;
        /// `IN_OPEN`: a file or directory was opened.
        const OPEN = 0x0000_0020;
        /// `IN_MOVED_FROM`: an entry was renamed away from the watched directory.
        const MOVED_FROM = 0x0000_0040;
        /// `IN_MOVED_TO`: an entry was renamed into the watched directory.
        const MOVED_TO = 0x0000_0080;
        /// `IN_CREATE`: an entry was created in the watched directory.
        const CREATE = 0x0000_0100;
        /// `IN_DELETE`: an entry was deleted from the watched directory.
        const DELETE = 0x0000_0200;
        /// `IN_DELETE_SELF`: the watched object itself was deleted.
        const DELETE_SELF = 0x0000_0400;
        /// `IN_MOVE_SELF`: the watched object itself was moved.
        const MOVE_SELF = 0x0000_0800;
        /// `IN_UNMOUNT`: the filesystem holding the watched object was unmounted.
        const UNMOUNT = 0x0000_2000;
        /// `IN_Q_OVERFLOW`: the kernel's event queue overflowed; events were lost.
        /// Reported with `wd == -1`.
        const Q_OVERFLOW = 0x0000_4000;
        /// `IN_IGNORED`: the watch was removed (explicitly, or because its
        /// object was deleted or its filesystem unmounted).
        const IGNORED = 0x0000_8000;
        /// `IN_ISDIR`: the subject of this event is a directory.
        const ISDIR = 0x4000_0000;

        /// `IN_CLOSE`: `CLOSE_WRITE | CLOSE_NOWRITE`.
        const CLOSE = Self::CLOSE_WRITE.bits() | Self::CLOSE_NOWRITE.bits();
        /// `IN_MOVE`: `MOVED_FROM | MOVED_TO`.
        const MOVE = Self::MOVED_FROM.bits() | Self::MOVED_TO.bits();
        /// `IN_ALL_EVENTS`: the twelve event bits.
        const ALL_EVENTS = 0x0000_0fff;

        // Keep every bit: a newer kernel's flag must survive a round trip.
        const _ = !0;
    }
}

bitflags::bitflags! {
    /// The bits a caller passes to `inotify_add_watch`: which events to
    /// report, and how to set the watch up.
    ///
    /// ```
    /// use zinotify::WatchMask;
    ///
    /// let mask = WatchMask::from_event_names("create,close_write").unwrap();
    /// assert_eq!(mask, WatchMask::CREATE | WatchMask::CLOSE_WRITE);
    /// ```
    #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct WatchMask: u32 {
        /// `IN_ACCESS`: a file was read.
        const ACCESS = EventMask::ACCESS.bits();
        /// `IN_MODIFY`: a file was written.
        const MODIFY = EventMask::MODIFY.bits();
        /// `IN_ATTRIB`: metadata changed.
        const ATTRIB = EventMask::ATTRIB.bits();
        /// `IN_CLOSE_WRITE`: a file opened for writing was closed.
        const CLOSE_WRITE = EventMask::CLOSE_WRITE.bits();
        /// `IN_CLOSE_NOWRITE`: a file not opened for writing was closed.
        const CLOSE_NOWRITE = EventMask::CLOSE_NOWRITE.bits();
        /// `IN_OPEN`: a file or directory was opened.
        const OPEN = EventMask::OPEN.bits();
        /// `IN_MOVED_FROM`: an entry was renamed away.
        const MOVED_FROM = EventMask::MOVED_FROM.bits();
        /// `IN_MOVED_TO`: an entry was renamed in.
        const MOVED_TO = EventMask::MOVED_TO.bits();
        /// `IN_CREATE`: an entry was created.
        const CREATE = EventMask::CREATE.bits();
        /// `IN_DELETE`: an entry was deleted.
        const DELETE = EventMask::DELETE.bits();
        /// `IN_DELETE_SELF`: the watched object was deleted.
        const DELETE_SELF = EventMask::DELETE_SELF.bits();
        /// `IN_MOVE_SELF`: the watched object was moved.
        const MOVE_SELF = EventMask::MOVE_SELF.bits();

        /// `IN_CLOSE`: `CLOSE_WRITE | CLOSE_NOWRITE`.
        const CLOSE = EventMask::CLOSE.bits();
        /// `IN_MOVE`: `MOVED_FROM | MOVED_TO`.
        const MOVE = EventMask::MOVE.bits();
        /// `IN_ALL_EVENTS`: the twelve event bits.
        const ALL_EVENTS = EventMask::ALL_EVENTS.bits();

        /// `IN_ONLYDIR`: fail with `ENOTDIR` unless the path is a directory.
        const ONLYDIR = 0x0100_0000;
        /// `IN_DONT_FOLLOW`: do not follow a symlink in the last component.
        const DONT_FOLLOW = 0x0200_0000;
        /// `IN_EXCL_UNLINK`: stop reporting events for children once unlinked.
        const EXCL_UNLINK = 0x0400_0000;
        /// `IN_MASK_CREATE`: fail with `EEXIST` if the inode is already watched.
        const MASK_CREATE = 0x1000_0000;
        /// `IN_MASK_ADD`: OR this mask into an existing watch's mask.
        const MASK_ADD = 0x2000_0000;
        /// `IN_ONESHOT`: remove the watch after its first event.
        const ONESHOT = 0x8000_0000;

        // Keep every bit, as for EventMask.
        const _ = !0;
    }
}

/// The kernel name of each of the 32 bits, indexed by bit position. Bits the
/// kernel does not define are named by their value, so that
/// [`EventMask::names`] can name every set bit without allocating.
static BIT_NAMES: [&str; 32] = [
    "IN_ACCESS",
    "IN_MODIFY",
    "IN_ATTRIB",
    "IN_CLOSE_WRITE",
    "IN_CLOSE_NOWRITE",
    "IN_OPEN",
    "IN_MOVED_FROM",
    "IN_MOVED_TO",
    "IN_CREATE",
    "IN_DELETE",
    "IN_DELETE_SELF",
    "IN_MOVE_SELF",
    "IN_0x00001000",
    "IN_UNMOUNT",
    "IN_Q_OVERFLOW",
    "IN_IGNORED",
    "IN_0x00010000",
    "IN_0x00020000",
    "IN_0x00040000",
    "IN_0x00080000",
    "IN_0x00100000",
    "IN_0x00200000",
    "IN_0x00400000",
    "IN_0x00800000",
    "IN_ONLYDIR",
    "IN_DONT_FOLLOW",
    "IN_EXCL_UNLINK",
    "IN_0x08000000",
    "IN_MASK_CREATE",
    "IN_MASK_ADD",
    "IN_ISDIR",
    "IN_ONESHOT",
];

/// Iterator over the names of the bits set in a mask, lowest bit first.
///
/// Returned by [`EventMask::names`] and [`WatchMask::names`]. Every set bit
/// yields exactly one name; bits the kernel does not define are named by
/// value (`"IN_0x00001000"`). Allocates nothing.
#[derive(Clone, Debug)]
pub struct MaskNames {
    remaining: u32,
}

impl Iterator for MaskNames {
    type Item = &'static str;

    fn next(&mut self) -> Option<&'static str> {
        if self.remaining == 0 {
            return None;
        }
        let bit = self.remaining.trailing_zeros();
        self.remaining &= self.remaining - 1;
        Some(BIT_NAMES[bit as usize])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.remaining.count_ones() as usize;
        (n, Some(n))
    }
}

impl ExactSizeIterator for MaskNames {}
impl core::iter::FusedIterator for MaskNames {}

/// An event name given to [`WatchMask::from_event_names`] or
/// [`EventMask::from_event_name`] that inotifywait would not accept either.
///
/// Holds the offending name so the message can quote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownEventName<'a> {
    /// The name as given.
    pub name: &'a str,
}

impl fmt::Display for UnknownEventName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown event name {:?} (expected one of: ", self.name)?;
        let bits = NAMED_EVENTS.iter().map(|bit| bit_name(bit.bits()));
        let groups = GROUP_NAMES.iter().map(|&(name, _)| name);
        for (i, name) in bits.chain(groups).enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            for c in name.chars() {
                fmt::Write::write_char(f, c.to_ascii_lowercase())?;
            }
        }
        f.write_str(")")
    }
}

#[cfg(feature = "std")]
impl std::error::Error for UnknownEventName<'_> {}

/// The bits inotifywait's `-e` names one by one, by their kernel name
/// without `IN_`, in lower case (`close_write`): the events, and those the
/// kernel sends whatever the mask says (`unmount`, `q_overflow`,
/// `ignored`, `isdir`).
const NAMED_EVENTS: EventMask = EventMask::ALL_EVENTS
    .union(EventMask::UNMOUNT)
    .union(EventMask::Q_OVERFLOW)
    .union(EventMask::IGNORED)
    .union(EventMask::ISDIR);

/// The names inotifywait's `-e` has for several bits at once. `all` is its
/// spelling of `IN_ALL_EVENTS`.
const GROUP_NAMES: [(&str, EventMask); 4] = [
    ("CLOSE", EventMask::CLOSE),
    ("MOVE", EventMask::MOVE),
    ("ALL", EventMask::ALL_EVENTS),
    ("ALL_EVENTS", EventMask::ALL_EVENTS),
];

/// The order inotifywait prints event names in (`%e`; its
/// `inotifytools_event_to_str_sep`): bit order, but `CLOSE` (for either
/// close bit) follows `IGNORED`, `MOVE_SELF` follows `CLOSE`, and `ISDIR`
/// and `ONESHOT` come last.
const PRINT_ORDER: [EventMask; 18] = [
    EventMask::ACCESS,
    EventMask::MODIFY,
    EventMask::ATTRIB,
    EventMask::CLOSE_WRITE,
    EventMask::CLOSE_NOWRITE,
    EventMask::OPEN,
    EventMask::MOVED_FROM,
    EventMask::MOVED_TO,
    EventMask::CREATE,
    EventMask::DELETE,
    EventMask::DELETE_SELF,
    EventMask::UNMOUNT,
    EventMask::Q_OVERFLOW,
    EventMask::IGNORED,
    EventMask::CLOSE,
    EventMask::MOVE_SELF,
    EventMask::ISDIR,
    EventMask::from_bits_retain(WatchMask::ONESHOT.bits()),
];

/// A single bit's name without `IN_` (`"CLOSE_WRITE"`).
fn bit_name(bit: u32) -> &'static str {
    &BIT_NAMES[bit.trailing_zeros() as usize][3..]
}

/// Looks one inotifywait event name up, ignoring ASCII case and an optional
/// `IN_` prefix (so `"IN_CREATE"`, `"create"` and `"Create"` all work).
fn lookup_event_name(name: &str) -> Option<EventMask> {
    let bare = match name.get(..3) {
        Some(prefix) if prefix.eq_ignore_ascii_case("in_") => &name[3..],
        _ => name,
    };
    let group = GROUP_NAMES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(bare))
        .map(|&(_, mask)| mask);
    group.or_else(|| {
        NAMED_EVENTS
            .iter()
            .find(|bit| bit_name(bit.bits()).eq_ignore_ascii_case(bare))
    })
}

impl EventMask {
    /// The kernel names of the set bits (`"IN_CREATE"`, ...), lowest bit
    /// first: the names of PyInotify's `type_names`, whose order is its
    /// lookup table's instead (which puts `IN_MOVE_SELF` first).
    /// Composite flags are not expanded twice: `CLOSE` yields
    /// `IN_CLOSE_WRITE` and `IN_CLOSE_NOWRITE`.
    ///
    /// ```
    /// use zinotify::EventMask;
    ///
    /// let names: Vec<_> = (EventMask::CLOSE_WRITE | EventMask::OPEN).names().collect();
    /// assert_eq!(names, ["IN_CLOSE_WRITE", "IN_OPEN"]);
    /// // An unknown bit is named, not dropped.
    /// assert_eq!(EventMask::from_bits_retain(1 << 12).names().next(), Some("IN_0x00001000"));
    /// ```
    #[doc(alias = "type_names")]
    pub fn names(self) -> MaskNames {
        MaskNames {
            remaining: self.bits(),
        }
    }

    /// Parses one inotifywait event name (`"close_write"`, `"move"`,
    /// `"all"`, ...), ignoring case and an `IN_` prefix.
    ///
    /// ```
    /// use zinotify::EventMask;
    ///
    /// assert_eq!(EventMask::from_event_name("move"), Ok(EventMask::MOVE));
    /// assert!(EventMask::from_event_name("explode").is_err());
    /// ```
    pub fn from_event_name(name: &str) -> Result<Self, UnknownEventName<'_>> {
        lookup_event_name(name).ok_or(UnknownEventName { name })
    }

    /// inotifywait's names of the set bits (`"CLOSE_WRITE"`, `"CLOSE"`,
    /// `"ISDIR"`), in the order it prints them for `%e`: bit order, but
    /// `CLOSE` (printed for either close bit) follows `IGNORED`,
    /// `MOVE_SELF` follows `CLOSE`, and `ISDIR` and `ONESHOT` come last.
    /// Bits it has no name for are left out.
    ///
    /// ```
    /// use zinotify::EventMask;
    ///
    /// let mask = EventMask::CLOSE_WRITE | EventMask::ISDIR | EventMask::MOVE_SELF;
    /// let names: Vec<_> = mask.inotifywait_names().collect();
    /// assert_eq!(names, ["CLOSE_WRITE", "CLOSE", "MOVE_SELF", "ISDIR"]);
    /// ```
    pub fn inotifywait_names(self) -> impl Iterator<Item = &'static str> {
        PRINT_ORDER
            .into_iter()
            .filter(move |named| self.intersects(*named))
            .map(|named| match named {
                Self::CLOSE => "CLOSE",
                _ => bit_name(named.bits()),
            })
    }
}

impl WatchMask {
    /// The kernel names of the set bits, lowest bit first (see
    /// [`EventMask::names`]).
    pub fn names(self) -> MaskNames {
        MaskNames {
            remaining: self.bits(),
        }
    }

    /// Parses a comma-separated list of inotifywait event names, as given to
    /// `inotifywait -e`: `"create,delete"`, `"close_write"`, `"all"`. Case and
    /// an `IN_` prefix are ignored; empty items are skipped.
    ///
    /// Only bits that can be watched are kept: `unmount`, `q_overflow`,
    /// `ignored` and `isdir` are always reported by the kernel and are
    /// accepted (inotifywait accepts them) but add no bit to the watch.
    ///
    /// ```
    /// use zinotify::WatchMask;
    ///
    /// assert_eq!(WatchMask::from_event_names("move, close"),
    ///            Ok(WatchMask::MOVE | WatchMask::CLOSE));
    /// let err = WatchMask::from_event_names("create,bogus").unwrap_err();
    /// assert_eq!(err.name, "bogus");
    /// ```
    pub fn from_event_names(list: &str) -> Result<Self, UnknownEventName<'_>> {
        let mut mask = Self::empty();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let named = lookup_event_name(name).ok_or(UnknownEventName { name })?;
            mask |= Self::from_bits_retain(named.bits()) & Self::ALL_EVENTS;
        }
        Ok(mask)
    }
}

impl From<WatchMask> for EventMask {
    /// The event bits of a watch mask; the watch options are dropped because
    /// they never appear in an event.
    fn from(mask: WatchMask) -> Self {
        Self::from_bits_retain(mask.bits() & Self::ALL_EVENTS.bits())
    }
}

/// Formats as `IN_CREATE | IN_ISDIR`, or `0` for an empty mask.
fn fmt_names(names: MaskNames, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut any = false;
    for name in names {
        if any {
            f.write_str(" | ")?;
        }
        f.write_str(name)?;
        any = true;
    }
    if !any {
        f.write_str("0")?;
    }
    Ok(())
}

impl fmt::Debug for EventMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_names(self.names(), f)
    }
}

impl fmt::Display for EventMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_names(self.names(), f)
    }
}

impl fmt::Debug for WatchMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_names(self.names(), f)
    }
}

impl fmt::Display for WatchMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_names(self.names(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linux_raw_sys::general as k;

    #[test]
    fn event_bits_equal_the_kernel_constants() {
        let pairs = [
            (EventMask::ACCESS, k::IN_ACCESS),
            (EventMask::MODIFY, k::IN_MODIFY),
            (EventMask::ATTRIB, k::IN_ATTRIB),
            (EventMask::CLOSE_WRITE, k::IN_CLOSE_WRITE),
            (EventMask::CLOSE_NOWRITE, k::IN_CLOSE_NOWRITE),
            (EventMask::OPEN, k::IN_OPEN),
            (EventMask::MOVED_FROM, k::IN_MOVED_FROM),
            (EventMask::MOVED_TO, k::IN_MOVED_TO),
            (EventMask::CREATE, k::IN_CREATE),
            (EventMask::DELETE, k::IN_DELETE),
            (EventMask::DELETE_SELF, k::IN_DELETE_SELF),
            (EventMask::MOVE_SELF, k::IN_MOVE_SELF),
            (EventMask::UNMOUNT, k::IN_UNMOUNT),
            (EventMask::Q_OVERFLOW, k::IN_Q_OVERFLOW),
            (EventMask::IGNORED, k::IN_IGNORED),
            (EventMask::ISDIR, k::IN_ISDIR),
            (EventMask::CLOSE, k::IN_CLOSE),
            (EventMask::MOVE, k::IN_MOVE),
            (EventMask::ALL_EVENTS, k::IN_ALL_EVENTS),
        ];
        for (ours, kernel) in pairs {
            assert_eq!(ours.bits(), kernel, "{ours:?}");
        }
    }

    #[test]
    fn watch_bits_equal_the_kernel_constants() {
        let pairs = [
            (WatchMask::ALL_EVENTS, k::IN_ALL_EVENTS),
            (WatchMask::CLOSE, k::IN_CLOSE),
            (WatchMask::MOVE, k::IN_MOVE),
            (WatchMask::ONLYDIR, k::IN_ONLYDIR),
            (WatchMask::DONT_FOLLOW, k::IN_DONT_FOLLOW),
            (WatchMask::EXCL_UNLINK, k::IN_EXCL_UNLINK),
            (WatchMask::MASK_CREATE, k::IN_MASK_CREATE),
            (WatchMask::MASK_ADD, k::IN_MASK_ADD),
            (WatchMask::ONESHOT, k::IN_ONESHOT),
        ];
        for (ours, kernel) in pairs {
            assert_eq!(ours.bits(), kernel, "{ours:?}");
        }
        // Every single event bit is the same in both types.
        for bit in EventMask::ALL_EVENTS.iter() {
            assert_eq!(WatchMask::from_bits_retain(bit.bits()).bits(), bit.bits());
        }
    }

    #[test]
    fn rustix_agrees_with_our_bits() {
        use rustix::fs::inotify::{ReadFlags, WatchFlags};
        assert_eq!(
            EventMask::Q_OVERFLOW.bits(),
            ReadFlags::QUEUE_OVERFLOW.bits()
        );
        assert_eq!(EventMask::ISDIR.bits(), ReadFlags::ISDIR.bits());
        assert_eq!(WatchMask::ALL_EVENTS.bits(), WatchFlags::ALL_EVENTS.bits());
        assert_eq!(WatchMask::ONLYDIR.bits(), WatchFlags::ONLYDIR.bits());
        assert_eq!(
            WatchMask::DONT_FOLLOW.bits(),
            WatchFlags::DONT_FOLLOW.bits()
        );
    }

    #[test]
    fn names_are_in_ascending_bit_order_and_name_every_bit() {
        let mask = EventMask::ISDIR | EventMask::CREATE | EventMask::ACCESS;
        let names: Vec<_> = mask.names().collect();
        assert_eq!(names, ["IN_ACCESS", "IN_CREATE", "IN_ISDIR"]);

        let all = EventMask::from_bits_retain(u32::MAX);
        assert_eq!(all.names().len(), 32);
        let mut seen: Vec<_> = all.names().collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 32, "every bit has its own name");
        assert_eq!(EventMask::empty().names().count(), 0);
    }

    #[test]
    fn each_known_name_is_the_kernel_name_of_its_bit() {
        for (name, bits) in [
            ("IN_MOVE_SELF", k::IN_MOVE_SELF),
            ("IN_Q_OVERFLOW", k::IN_Q_OVERFLOW),
            ("IN_ONESHOT", k::IN_ONESHOT),
            ("IN_MASK_CREATE", k::IN_MASK_CREATE),
        ] {
            assert_eq!(EventMask::from_bits_retain(bits).names().next(), Some(name));
        }
    }

    #[test]
    fn unknown_bits_are_kept() {
        let mask = EventMask::from_bits_retain(0x0000_1000 | EventMask::CREATE.bits());
        assert_eq!(mask.bits(), 0x0000_1100);
        assert_eq!(
            mask.names().collect::<Vec<_>>(),
            ["IN_CREATE", "IN_0x00001000"]
        );
        assert_eq!(format!("{mask:?}"), "IN_CREATE | IN_0x00001000");
    }

    #[test]
    fn inotifywait_names_parse() {
        assert_eq!(
            EventMask::from_event_name("close_write"),
            Ok(EventMask::CLOSE_WRITE)
        );
        assert_eq!(EventMask::from_event_name("CLOSE"), Ok(EventMask::CLOSE));
        assert_eq!(
            EventMask::from_event_name("IN_MOVED_TO"),
            Ok(EventMask::MOVED_TO)
        );
        assert_eq!(EventMask::from_event_name("all"), Ok(EventMask::ALL_EVENTS));
        assert_eq!(
            WatchMask::from_event_names("create,delete,,modify"),
            Ok(WatchMask::CREATE | WatchMask::DELETE | WatchMask::MODIFY)
        );
        // Reported-only bits are accepted but do not become watch bits.
        assert_eq!(
            WatchMask::from_event_names("unmount"),
            Ok(WatchMask::empty())
        );
    }

    #[test]
    fn unknown_name_is_a_clear_error() {
        let err = WatchMask::from_event_names("create,clsoe").unwrap_err();
        assert_eq!(err.name, "clsoe");
        let msg = err.to_string();
        assert!(msg.contains("\"clsoe\""), "{msg}");
        assert!(msg.contains("close_write"), "{msg}");
        assert!(EventMask::from_event_name("").is_err());
        assert!(EventMask::from_event_name("in_").is_err());
    }

    #[test]
    fn every_name_the_error_offers_is_accepted() {
        let err = EventMask::from_event_name("nope").unwrap_err().to_string();
        let list = err.split_once("expected one of: ").unwrap().1;
        let names: Vec<_> = list.trim_end_matches(')').split(", ").collect();
        // 12 events, 4 the kernel always sends, 4 names for groups.
        assert_eq!(names.len(), 20, "{err}");
        for name in names {
            let mask = EventMask::from_event_name(name).unwrap();
            assert!(!mask.is_empty(), "{name}");
            if let [bit] = mask.names().collect::<Vec<_>>()[..] {
                assert_eq!(bit, format!("IN_{}", name.to_ascii_uppercase()));
            }
        }
    }

    #[test]
    fn inotifywait_names_cover_every_known_event_bit() {
        let all = NAMED_EVENTS | EventMask::from_bits_retain(WatchMask::ONESHOT.bits());
        for bit in all.iter() {
            let names: Vec<_> = bit.inotifywait_names().collect();
            assert!(!names.is_empty(), "{bit:?}");
            assert_eq!(names[0], bit_name(bit.bits()), "{bit:?}");
        }
        // A close bit is also printed as CLOSE, after IGNORED.
        let names: Vec<_> = (EventMask::CLOSE_NOWRITE | EventMask::IGNORED)
            .inotifywait_names()
            .collect();
        assert_eq!(names, ["CLOSE_NOWRITE", "IGNORED", "CLOSE"]);
    }

    #[test]
    fn display_of_empty_mask() {
        assert_eq!(EventMask::empty().to_string(), "0");
        assert_eq!(WatchMask::ONLYDIR.to_string(), "IN_ONLYDIR");
    }
}
