//! Fuzz target `tree`: a model filesystem and kernel for the sans-IO tree
//! [`TreeMachine`]. The fuzz target (`fuzz_targets/tree.rs`, through
//! [`fuzz_one`]), the corpus replay (`tests/fuzz_corpus.rs`) and the
//! model-based proptest (`tests/tree_model.rs`, which includes this file with
//! `#[path]`) run the same [`run`] check.
//!
//! The model holds a directory tree under `/t` (watched) and `/out` (not),
//! emits the inotify events the kernel would for each operation (including
//! `IN_Q_OVERFLOW` when told to lose events), and implements [`TreeBackend`]
//! over itself. [`run`] applies operations, lets the machine process the
//! events in batches of chosen sizes (so rename pairs split across reads),
//! and then checks: the machine's invariants hold, the watched set equals
//! every directory under `/t`, no watch leaked in the "kernel", every
//! path reported existed at some point, and no rescan came without an
//! overflow (storms such as rotations and rename bursts, [`Op::Rotate`] and
//! [`Op::Spin`], are followed incrementally).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use zinotify::sans_io::{Listing, TreeBackend, TreeMachine};
use zinotify::{
    DirEntry, FixedTreeStorage, TreeEventKind, TreeStorage, TreeStore, tree_index_len_for,
    tree_name_bytes_for,
};
use zinotify::{Encoder, EventMask, Events, WatchMask};

/// One operation on the model filesystem. Numbers pick among what exists
/// (modulo its count), so any value is valid.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    /// `mkdir` in a directory of the tree.
    Mkdir(u8, u8),
    /// Create a file in a directory of the tree.
    Touch(u8, u8),
    /// `rm -rf` a directory of the tree (not the root).
    Remove(u8),
    /// Rename a directory of the tree into another one.
    Rename(u8, u8, u8),
    /// Move a directory of the tree out to `/out`.
    MoveOut(u8),
    /// Make a small tree in `/out`, then move it into the tree.
    MoveIn(u8, u8),
    /// Lose the events of the next N operations: `IN_Q_OVERFLOW`.
    Overflow(u8),
    /// Let the machine process events, reading at most N per batch.
    Process(u8),
    /// A rename whose `IN_MOVE_SELF` the kernel queues just after a read
    /// found the queue empty (the read came between the rename's
    /// `IN_MOVED_TO` and its `IN_MOVE_SELF`).
    RenameLate(u8, u8, u8),
    /// Log rotation, 1 to 4 times: `mv D D.N; mkdir D; mkdir D/day` for a
    /// directory D of the tree.
    Rotate(u8, u8),
    /// One directory renamed back and forth inside its parent, 2 to 33
    /// times in a row (a rename burst between reads).
    Spin(u8, u8),
    /// A rename whose process is preempted between the kernel queueing its
    /// `IN_MOVED_FROM` and its `IN_MOVED_TO` for one read that finds the
    /// queue empty: the pairing has been settled by the time the rest
    /// comes. The tree reads right then, before any later operation.
    RenamePreempted(u8, u8, u8),
}

const NAMES: [&[u8]; 5] = [b"a", b"b", b"c", b"dd", b"eee"];

struct Node {
    parent: usize,
    name: Vec<u8>,
    is_dir: bool,
    children: BTreeMap<Vec<u8>, usize>,
}

/// The model filesystem and kernel.
pub struct ModelFs {
    nodes: Vec<Option<Node>>,
    watches: HashMap<usize, (i32, WatchMask)>,
    by_wd: HashMap<i32, usize>,
    next_wd: i32,
    cookie: u32,
    queue: Vec<(i32, EventMask, u32, Vec<u8>)>,
    /// Where in `queue` an event not queued yet sits ([`Op::RenameLate`],
    /// [`Op::RenamePreempted`]): reads stop before it and find the queue
    /// empty, `held_reads` of them, and only then does it come.
    held: Option<usize>,
    held_reads: u8,
    lose: usize,
    in_op: bool,
    /// Check reported paths against `ever` ([`Check::Exact`]).
    exact: bool,
    /// Every directory path that ever existed under `/t`.
    ever: BTreeSet<Vec<u8>>,
    /// Every path each directory had.
    paths: HashMap<usize, BTreeSet<Vec<u8>>>,
    /// Every (parent, name) each directory had.
    links: HashMap<usize, BTreeSet<(usize, Vec<u8>)>>,
    /// Which directory each watch descriptor was given to.
    wd_node: HashMap<i32, usize>,
    outside: u32,
    /// Renames held back between their `IN_MOVED_FROM` and `IN_MOVED_TO`
    /// ([`Op::RenamePreempted`]): the one case, besides an overflow, in
    /// which the kernel shows the tree a stale path with nothing queued to
    /// explain it, and a bounded re-listing may answer it.
    preempted: usize,
    /// Overflows and bounded re-listings the machine reported.
    overflows: core::cell::Cell<usize>,
    relistings: core::cell::Cell<usize>,
    /// Overflows reported since the last rescan: a rescan with none is
    /// one the kernel did not ask for.
    unanswered: core::cell::Cell<usize>,
}

const ROOT: usize = 1;
const OUT: usize = 2;

impl ModelFs {
    fn new() -> Self {
        let mut fs = Self {
            nodes: Vec::new(),
            watches: HashMap::new(),
            by_wd: HashMap::new(),
            next_wd: 1,
            cookie: 1,
            queue: Vec::new(),
            held: None,
            held_reads: 0,
            preempted: 0,
            lose: 0,
            in_op: false,
            exact: false,
            ever: BTreeSet::new(),
            paths: HashMap::new(),
            links: HashMap::new(),
            wd_node: HashMap::new(),
            outside: 0,
            overflows: Default::default(),
            relistings: Default::default(),
            unanswered: Default::default(),
        };
        fs.nodes.push(Some(Node {
            parent: 0,
            name: Vec::new(),
            is_dir: true,
            children: BTreeMap::new(),
        }));
        fs.add(0, b"t", true);
        fs.add(0, b"out", true);
        fs
    }

    fn node(&self, i: usize) -> &Node {
        self.nodes[i].as_ref().unwrap()
    }

    fn add(&mut self, parent: usize, name: &[u8], is_dir: bool) -> usize {
        let i = self.nodes.len();
        self.nodes.push(Some(Node {
            parent,
            name: name.to_vec(),
            is_dir,
            children: BTreeMap::new(),
        }));
        self.nodes[parent]
            .as_mut()
            .unwrap()
            .children
            .insert(name.to_vec(), i);
        if is_dir {
            self.record_path(i);
        }
        i
    }

    fn record_path(&mut self, i: usize) {
        let n = self.node(i);
        let link = (n.parent, n.name.clone());
        self.links.entry(i).or_default().insert(link);
        let p = self.path(i);
        self.ever.insert(p.clone());
        self.paths.entry(i).or_default().insert(p);
    }

    /// Whether `dir` is a path an event on directory `i`'s watch may be
    /// reported under: one `i` had, or (the known limit in the tree's docs:
    /// renames into directories not watched yet leave no trace of the
    /// paths in between) a path one of its parents had at some point (or
    /// may so be reported under), followed by its name there. A directory
    /// removed or moved out can so carry a path its old parent only took
    /// after it left. Terminates: `dir` gets shorter at each step.
    fn plausible(&self, i: usize, dir: &[u8]) -> bool {
        if self.paths.get(&i).is_some_and(|p| p.contains(dir)) {
            return true;
        }
        let Some(k) = dir.iter().rposition(|&b| b == b'/') else {
            return false;
        };
        self.links.get(&i).is_some_and(|links| {
            links.iter().any(|(parent, name)| {
                *parent != 0
                    && &dir[k + 1..] == name.as_slice()
                    && self.plausible(*parent, &dir[..k])
            })
        })
    }

    fn path(&self, mut i: usize) -> Vec<u8> {
        let mut parts = Vec::new();
        while i != 0 {
            parts.push(self.node(i).name.clone());
            i = self.node(i).parent;
        }
        let mut p = Vec::new();
        for part in parts.iter().rev() {
            p.push(b'/');
            p.extend_from_slice(part);
        }
        p
    }

    fn resolve(&self, path: &[u8]) -> Option<usize> {
        let mut i = 0;
        for part in path.split(|&b| b == b'/').filter(|p| !p.is_empty()) {
            i = *self.node(i).children.get(part)?;
        }
        Some(i)
    }

    fn within(&self, mut i: usize, top: usize) -> bool {
        loop {
            if i == top {
                return true;
            }
            if i == 0 {
                return false;
            }
            i = self.node(i).parent;
        }
    }

    /// Directories under `/t` (itself included), in a stable order.
    fn tree_dirs(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![ROOT];
        while let Some(i) = stack.pop() {
            out.push(i);
            for &c in self.node(i).children.values().rev() {
                if self.node(c).is_dir {
                    stack.push(c);
                }
            }
        }
        out
    }

    /// Queues an event on `inode`'s watch if it has one and wants it.
    fn emit(&mut self, inode: usize, mask: EventMask, cookie: u32, name: &[u8]) {
        let Some(&(wd, wmask)) = self.watches.get(&inode) else {
            return;
        };
        let always = EventMask::IGNORED | EventMask::UNMOUNT;
        if !mask.intersects(always)
            && (mask.bits() & wmask.bits() & EventMask::ALL_EVENTS.bits()) == 0
        {
            return;
        }
        self.push(wd, mask, cookie, name);
    }

    fn push(&mut self, wd: i32, mask: EventMask, cookie: u32, name: &[u8]) {
        if self.in_op && self.lose > 0 {
            if self.queue.last().is_none_or(|e| e.0 != -1) {
                self.queue.push((-1, EventMask::Q_OVERFLOW, 0, Vec::new()));
            }
            return;
        }
        self.queue.push((wd, mask, cookie, name.to_vec()));
    }

    fn drop_watch(&mut self, inode: usize) {
        if let Some((wd, _)) = self.watches.remove(&inode) {
            self.by_wd.remove(&wd);
            self.push(wd, EventMask::IGNORED, 0, b"");
        }
    }

    fn pick_dir(&self, k: u8) -> usize {
        let dirs = self.tree_dirs();
        dirs[k as usize % dirs.len()]
    }

    fn isdir(is_dir: bool) -> EventMask {
        if is_dir {
            EventMask::ISDIR
        } else {
            EventMask::empty()
        }
    }

    fn remove(&mut self, i: usize) {
        let kids: Vec<usize> = self.node(i).children.values().copied().collect();
        for c in kids {
            self.remove(c);
        }
        let n = self.nodes[i].take().unwrap();
        self.nodes[n.parent]
            .as_mut()
            .unwrap()
            .children
            .remove(&n.name);
        self.emit(
            n.parent,
            EventMask::DELETE | Self::isdir(n.is_dir),
            0,
            &n.name,
        );
        if n.is_dir {
            if self.watches.contains_key(&i) {
                self.emit(i, EventMask::DELETE_SELF, 0, b"");
            }
            self.drop_watch(i);
        }
    }

    fn rename(&mut self, i: usize, to: usize, name: &[u8]) {
        let (from, old, is_dir) = {
            let n = self.node(i);
            (n.parent, n.name.clone(), n.is_dir)
        };
        self.cookie += 1;
        let cookie = self.cookie;
        self.nodes[from].as_mut().unwrap().children.remove(&old);
        self.nodes[to]
            .as_mut()
            .unwrap()
            .children
            .insert(name.to_vec(), i);
        let n = self.nodes[i].as_mut().unwrap();
        n.parent = to;
        n.name = name.to_vec();
        self.emit(
            from,
            EventMask::MOVED_FROM | Self::isdir(is_dir),
            cookie,
            &old,
        );
        self.emit(to, EventMask::MOVED_TO | Self::isdir(is_dir), cookie, name);
        self.emit(i, EventMask::MOVE_SELF, 0, b"");
        if self.within(i, ROOT) {
            for d in self.dirs_below(i) {
                self.record_path(d);
            }
        }
    }

    /// A rename whose first event of kind `from` (and what follows it) is
    /// held back for `reads` empty reads; the first such rename wins.
    fn rename_held(&mut self, d: u8, to: u8, n: u8, from: EventMask, reads: u8) {
        let before = self.queue.len();
        self.apply_inner(Op::Rename(d, to, n));
        let at = (before..self.queue.len()).find(|&i| self.queue[i].1.contains(from));
        if let (Some(at), None) = (at, self.held) {
            self.held = Some(at);
            self.held_reads = reads;
            if from == EventMask::MOVED_TO {
                self.preempted += 1;
            }
        }
    }

    /// How many events a read can see now.
    fn visible(&self) -> usize {
        self.held.unwrap_or(self.queue.len())
    }

    fn dirs_below(&self, top: usize) -> Vec<usize> {
        let mut out = vec![top];
        let mut k = 0;
        while k < out.len() {
            for &c in self.node(out[k]).children.values() {
                if self.node(c).is_dir {
                    out.push(c);
                }
            }
            k += 1;
        }
        out
    }

    fn apply(&mut self, op: Op) {
        if matches!(op, Op::Process(_) | Op::Overflow(_)) {
            return self.apply_inner(op);
        }
        // Only the events of the user's operations are lost, not those of
        // the machine's own calls (the real queue drops whatever comes while
        // it is full; the machine reads it empty before it calls again).
        self.in_op = true;
        self.apply_inner(op);
        self.in_op = false;
        self.lose = self.lose.saturating_sub(1);
    }

    fn apply_inner(&mut self, op: Op) {
        match op {
            Op::Mkdir(d, n) | Op::Touch(d, n) => {
                let dir = self.pick_dir(d);
                let name = NAMES[n as usize % NAMES.len()];
                if self.node(dir).children.contains_key(name) {
                    return;
                }
                let is_dir = matches!(op, Op::Mkdir(..));
                self.add(dir, name, is_dir);
                self.emit(dir, EventMask::CREATE | Self::isdir(is_dir), 0, name);
            }
            Op::Remove(d) => {
                let dir = self.pick_dir(d);
                if dir != ROOT {
                    self.remove(dir);
                }
            }
            Op::Rename(d, to, n) => {
                let dir = self.pick_dir(d);
                let to = self.pick_dir(to);
                let name = NAMES[n as usize % NAMES.len()];
                if dir == ROOT || self.within(to, dir) || self.node(to).children.contains_key(name)
                {
                    return;
                }
                self.rename(dir, to, name);
            }
            Op::MoveOut(d) => {
                let dir = self.pick_dir(d);
                if dir == ROOT {
                    return;
                }
                self.outside += 1;
                let name = format!("gone{}", self.outside).into_bytes();
                self.rename(dir, OUT, &name);
            }
            Op::MoveIn(to, n) => {
                self.outside += 1;
                let name = format!("in{}", self.outside).into_bytes();
                let top = self.add(OUT, &name, true);
                let sub = self.add(top, b"sub", true);
                self.add(sub, b"file", false);
                self.add(top, b"x", true);
                let to = self.pick_dir(to);
                let name = NAMES[n as usize % NAMES.len()];
                if !self.node(to).children.contains_key(name) {
                    self.rename(top, to, name);
                }
            }
            Op::RenameLate(d, to, n) => self.rename_held(d, to, n, EventMask::MOVE_SELF, 1),
            Op::RenamePreempted(d, to, n) => self.rename_held(d, to, n, EventMask::MOVED_TO, 1),
            Op::Rotate(d, n) => {
                let dir = self.pick_dir(d);
                if dir == ROOT {
                    return;
                }
                let (parent, name) = {
                    let n = self.node(dir);
                    (n.parent, n.name.clone())
                };
                for _ in 0..=n % 4 {
                    self.outside += 1;
                    let mut rotated = name.clone();
                    rotated.extend_from_slice(format!(".{}", self.outside).as_bytes());
                    let Some(&now) = self.node(parent).children.get(&name) else {
                        return;
                    };
                    self.rename(now, parent, &rotated);
                    let fresh = self.add(parent, &name, true);
                    self.emit(parent, EventMask::CREATE | EventMask::ISDIR, 0, &name);
                    self.add(fresh, b"day", true);
                    self.emit(fresh, EventMask::CREATE | EventMask::ISDIR, 0, b"day");
                }
            }
            Op::Spin(d, n) => {
                let dir = self.pick_dir(d);
                if dir == ROOT {
                    return;
                }
                let parent = self.node(dir).parent;
                let name = self.node(dir).name.clone();
                // A directory spun before spins again, under another name.
                let other: &[u8] = if name == b"spun" { b"unspun" } else { b"spun" };
                let names = [name, other.to_vec()];
                if self.node(parent).children.contains_key(&names[1]) {
                    return;
                }
                for k in 0..2 + n as usize % 32 {
                    self.rename(dir, parent, &names[(k + 1) % 2]);
                }
            }
            Op::Overflow(n) => self.lose = 1 + n as usize % 4,
            Op::Process(_) => {}
        }
    }
}

/// A listing in progress: the entries seen at open time, and how far.
pub struct ModelDir {
    entries: Vec<(Vec<u8>, bool)>,
    at: usize,
}

impl TreeBackend for ModelFs {
    type Dir = ModelDir;

    /// Like the kernel's `FIONREAD`: whether events wait in the queue (not
    /// those of the batch being handled, already read).
    fn events_pending(&mut self) -> bool {
        self.visible() > 0
    }

    fn add_watch(
        &mut self,
        path: &core::ffi::CStr,
        mask: WatchMask,
    ) -> Result<i32, rustix::io::Errno> {
        if std::env::var_os("ZINOTIFY_MODEL_TRACE").is_some() {
            eprintln!(
                "    add_watch {} -> {:?}",
                path.to_string_lossy(),
                self.resolve(path.to_bytes()).map(|i| self.watches.get(&i))
            );
        }
        let i = self
            .resolve(path.to_bytes())
            .ok_or(rustix::io::Errno::NOENT)?;
        if !self.node(i).is_dir {
            return Err(rustix::io::Errno::NOTDIR);
        }
        if let Some(w) = self.watches.get_mut(&i) {
            // The kernel replaces the mask, or OR-s it in with IN_MASK_ADD.
            if mask.contains(WatchMask::MASK_ADD) {
                w.1 |= mask;
            } else {
                w.1 = mask;
            }
            return Ok(w.0);
        }
        let wd = self.next_wd;
        self.next_wd += 1;
        self.watches.insert(i, (wd, mask));
        self.by_wd.insert(wd, i);
        self.wd_node.insert(wd, i);
        Ok(wd)
    }

    fn remove_watch(&mut self, wd: i32) {
        if let Some(i) = self.by_wd.get(&wd).copied() {
            self.drop_watch(i);
        }
    }

    fn open_dir(&mut self, path: &core::ffi::CStr) -> Result<ModelDir, rustix::io::Errno> {
        if std::env::var_os("ZINOTIFY_MODEL_TRACE").is_some() {
            eprintln!("    open_dir {}", path.to_string_lossy());
        }
        let i = self
            .resolve(path.to_bytes())
            .ok_or(rustix::io::Errno::NOENT)?;
        if !self.node(i).is_dir {
            return Err(rustix::io::Errno::NOTDIR);
        }
        let entries = self
            .node(i)
            .children
            .iter()
            .map(|(name, &c)| (name.clone(), self.node(c).is_dir))
            .collect();
        Ok(ModelDir { entries, at: 0 })
    }

    fn read_dir(
        &mut self,
        dir: &mut ModelDir,
        into: &mut Listing,
    ) -> Result<bool, rustix::io::Errno> {
        while let Some((name, is_dir)) = dir.entries.get(dir.at) {
            if !into.push(name, *is_dir) {
                return Ok(false);
            }
            dir.at += 1;
        }
        Ok(true)
    }
}

/// How much [`run`] checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// The safety invariants: no panic, the table's invariants
    /// ([`TreeMachine::verify`]: parents present, counts and index consistent),
    /// no watch leaked, none outside the tree, and no rescan without a
    /// kernel overflow before it.
    Safety,
    /// Safety, and the machine follows the model exactly: it watches every
    /// directory of the tree, and every directory an event names existed at
    /// some point (for a kernel event, also a path its directory's parent
    /// had, followed by its name: the known limit of renames into
    /// directories not watched yet, see `ModelFs::plausible`). The fuzz
    /// target checks [`Check::Safety`], the proptest (seeded, or random
    /// with `PROPTEST_CASES`) this.
    Exact,
}

/// Applies `ops` to a model, lets a machine follow, and checks it; `Err`
/// says what went wrong. `cap` is the machine's capacity in directories.
pub fn run(ops: &[Op], cap: usize, level: Check) -> Result<(), String> {
    let mut entries = vec![DirEntry::EMPTY; cap];
    let mut index = vec![0u32; tree_index_len_for(cap)];
    let mut names = vec![0u8; 16 * cap];
    let storage =
        TreeStorage::new(&mut entries, &mut index, &mut names).map_err(|e| e.to_string())?;
    run_in(ops, storage, level).map(drop)
}

/// [`run`] over storage that grows: fixed storage for 256 directories,
/// which (like growing storage, through the same code) starts with room
/// for 16 directories and 256 name bytes and doubles, so a tree larger
/// than that grows the table, index and names mid-stream and must follow
/// the model just the same. `Ok` holds how many directories were watched
/// at the end.
pub fn run_growing(ops: &[Op], level: Check) -> Result<usize, String> {
    const DIRS: usize = 256;
    let storage = FixedTreeStorage::<
        DIRS,
        { tree_index_len_for(DIRS) },
        { tree_name_bytes_for(DIRS) },
    >::fixed();
    run_in(ops, storage, level)
}

/// [`run`] over `storage`; how many directories were watched at the end.
pub fn run_in<S: TreeStore>(ops: &[Op], storage: S, level: Check) -> Result<usize, String> {
    let mut fs = ModelFs::new();
    fs.exact = level == Check::Exact;
    let mut m = TreeMachine::new(storage, fs, WatchMask::ALL_EVENTS);
    m.add_root(b"/t").map_err(|e| e.to_string())?;
    let mut full = false;
    pump(&mut m, 64, &mut full)?;
    let trace = std::env::var_os("ZINOTIFY_MODEL_TRACE").is_some();
    for &op in ops {
        m.backend_mut().apply(op);
        if trace {
            let fs = m.backend();
            let dirs: Vec<String> = fs
                .tree_dirs()
                .into_iter()
                .map(|i| String::from_utf8_lossy(&fs.path(i)).into_owned())
                .collect();
            eprintln!("{op:?} dirs {dirs:?}");
            eprintln!(
                "{op:?} -> queue {:?}",
                m.backend()
                    .queue
                    .iter()
                    .map(|(w, m, c, n)| (*w, *m, *c, String::from_utf8_lossy(n).into_owned()))
                    .collect::<Vec<_>>()
            );
        }
        match op {
            Op::Process(n) => pump(&mut m, 1 + n as usize % 8, &mut full)?,
            // The renaming process is preempted, and nothing else happens
            // meanwhile: the tree reads (finding the queue empty) while
            // the rename's IN_MOVED_TO is not queued yet, not while later
            // operations' events are held back too.
            Op::RenamePreempted(..) => pump(&mut m, 64, &mut full)?,
            _ => {}
        }
    }
    // Settle: the lost-event window closes, everything is read, and a few
    // empty reads pass (as timeouts do), which expire unpaired renames.
    m.backend_mut().lose = 0;
    for _ in 0..4 {
        pump(&mut m, 64, &mut full)?;
        m.end_batch();
    }
    pump(&mut m, 64, &mut full)?;
    m.verify().map_err(str::to_owned)?;
    let fs = m.backend();
    let mut wds = BTreeSet::new();
    let mut outside = Vec::new();
    m.for_each_dir(|p, wd| {
        wds.insert(wd);
        let inside = fs
            .by_wd
            .get(&wd)
            .is_some_and(|&i| fs.nodes[i].is_some() && fs.within(i, ROOT));
        if !inside {
            outside.push(String::from_utf8_lossy(p).into_owned());
        }
    });
    let kernel: BTreeSet<i32> = fs.watches.values().map(|w| w.0).collect();
    if kernel != wds {
        return Err(format!("kernel watches {kernel:?} != table {wds:?}"));
    }
    if !outside.is_empty() {
        return Err(format!("watches outside the tree: {outside:?}"));
    }
    if full || level == Check::Safety {
        // A full table legitimately leaves directories out.
        return Ok(m.len());
    }
    if fs.overflows.get() == 0 && fs.relistings.get() > fs.preempted {
        return Err(format!(
            "{} bounded re-listings with no overflow: a rename the tree did not follow",
            fs.relistings.get()
        ));
    }
    let want: BTreeSet<Vec<u8>> = fs
        .tree_dirs()
        .into_iter()
        .map(|i| {
            let mut p = fs.path(i);
            p.push(b'/');
            p
        })
        .collect();
    let mut got = BTreeSet::new();
    m.for_each_dir(|p, _| {
        got.insert(p.to_vec());
    });
    if got != want {
        let show = |s: &BTreeSet<Vec<u8>>| {
            s.iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect::<Vec<_>>()
        };
        return Err(format!(
            "watched {:?}\n   want {:?}",
            show(&got),
            show(&want)
        ));
    }
    Ok(m.len())
}

/// Runs the machine until it is idle and the model's queue is empty,
/// reading at most `batch` events per read.
fn pump<S: TreeStore>(
    m: &mut TreeMachine<'_, ModelFs, S>,
    batch: usize,
    full: &mut bool,
) -> Result<(), String> {
    let mut buf = vec![0u8; 64 * 1024];
    for _ in 0..10_000 {
        drain_steps(m, full)?;
        if m.backend().visible() == 0 {
            let fs = m.backend_mut();
            let held = fs.held.is_some();
            fs.held_reads = fs.held_reads.saturating_sub(1);
            if fs.held_reads == 0 {
                fs.held = None;
            }
            if !held && !m.has_pending_moves() {
                return Ok(());
            }
            // A read found the queue empty (as the driver's would).
            if held {
                m.end_batch();
            }
            if m.has_pending_moves() {
                m.queue_empty();
            }
            continue;
        }
        m.end_batch();
        let take = batch.min(m.backend().visible());
        let fs = m.backend_mut();
        fs.held = fs.held.map(|h| h - take);
        let events: Vec<_> = fs.queue.drain(..take).collect();
        let mut enc = Encoder::new(&mut buf);
        for (wd, mask, cookie, name) in &events {
            enc.push(*wd, *mask, *cookie, name)
                .map_err(|e| format!("{e:?}"))?;
        }
        let len = enc.len();
        for ev in Events::new(&buf[..len]) {
            let ev = ev.map_err(|e| e.to_string())?;
            drain_steps(m, full)?;
            if let Some(r) = m.handle(&ev) {
                check(m, r, ev.name, Some(ev.wd), full)?;
            }
        }
    }
    Err("the machine never settled".into())
}

fn drain_steps<S: TreeStore>(
    m: &mut TreeMachine<'_, ModelFs, S>,
    full: &mut bool,
) -> Result<(), String> {
    for _ in 0..1_000_000 {
        match m.step() {
            None => return Ok(()),
            Some(r) => check(m, r, b"", None, full)?,
        }
    }
    Err("step never returned None".into())
}

fn check<S: TreeStore>(
    m: &TreeMachine<'_, ModelFs, S>,
    r: Result<zinotify::sans_io::TreeReport, zinotify::Error>,
    kernel_name: &[u8],
    kernel_wd: Option<i32>,
    full: &mut bool,
) -> Result<(), String> {
    let r = match r {
        Ok(r) => r,
        Err(e)
            if matches!(
                e.kind(),
                zinotify::ErrorKind::TableFull { .. } | zinotify::ErrorKind::PathStorageFull { .. }
            ) =>
        {
            *full = true;
            return Ok(());
        }
        Err(e) => return Err(format!("unexpected error {e}")),
    };
    let ev = m.event(&r, kernel_name);
    if std::env::var_os("ZINOTIFY_MODEL_TRACE").is_some() {
        eprintln!(
            "  {:?} {:?} {}{}",
            ev.kind,
            ev.mask,
            String::from_utf8_lossy(ev.dir),
            String::from_utf8_lossy(ev.name)
        );
    }
    let fs = m.backend();
    match ev.kind {
        TreeEventKind::Overflow => {
            fs.overflows.set(fs.overflows.get() + 1);
            fs.unanswered.set(fs.unanswered.get() + 1);
        }
        // Checked at every level, so the fuzz target fails on a rescan the
        // kernel did not ask for too: one rescan may answer several
        // overflows, but none may come without one.
        TreeEventKind::Rescanned if fs.unanswered.replace(0) == 0 => {
            return Err(format!(
                "a rescan with no overflow since the last one ({} overflows so far): \
                 the tree rescanned on its own",
                fs.overflows.get()
            ));
        }
        TreeEventKind::Relisted => fs.relistings.set(fs.relistings.get() + 1),
        _ => {}
    }
    match ev.kind {
        TreeEventKind::Kernel | TreeEventKind::Synthetic | TreeEventKind::RootGone
            if m.backend().exact =>
        {
            let dir = ev.dir.strip_suffix(b"/").unwrap_or(ev.dir);
            let fs = m.backend();
            let plausible = ev.kind == TreeEventKind::Kernel
                && kernel_wd
                    .and_then(|wd| fs.wd_node.get(&wd))
                    .is_some_and(|&i| fs.plausible(i, dir));
            if !fs.ever.contains(dir) && !plausible {
                return Err(format!(
                    "{:?} reported in {:?}, which never existed",
                    ev.kind,
                    String::from_utf8_lossy(ev.dir)
                ));
            }
        }
        // A listing can meet a directory whose rename is still queued: it is
        // already watched elsewhere (EEXIST) until that rename is handled.
        TreeEventKind::Skipped {
            kind: zinotify::ErrorKind::Os(rustix::io::Errno::EXIST),
            ..
        } => {}
        TreeEventKind::Skipped { .. } => return Err(format!("unexpected skip: {ev:?}")),
        _ => {}
    }
    Ok(())
}

/// Decodes arbitrary bytes into operations: a tag byte then its arguments
/// (missing ones are 0). Every byte string is valid.
pub fn ops_from_bytes(data: &[u8]) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut it = data.iter().copied();
    while let Some(tag) = it.next() {
        let mut arg = || it.next().unwrap_or(0);
        ops.push(match tag % 12 {
            0 => Op::Mkdir(arg(), arg()),
            1 => Op::Touch(arg(), arg()),
            2 => Op::Remove(arg()),
            3 => Op::Rename(arg(), arg(), arg()),
            4 => Op::MoveOut(arg()),
            5 => Op::MoveIn(arg(), arg()),
            6 => Op::Overflow(arg()),
            7 => Op::RenameLate(arg(), arg(), arg()),
            8 => Op::Rotate(arg(), arg()),
            9 => Op::Spin(arg(), arg()),
            10 => Op::RenamePreempted(arg(), arg(), arg()),
            _ => Op::Process(arg()),
        });
        if ops.len() >= 256 {
            break;
        }
    }
    ops
}

/// The fuzz check: arbitrary bytes as operations, against a roomy table,
/// a tiny one, and growing storage that grows mid-stream. Panics (which
/// the fuzzer reports) if the machine panics, breaks an invariant (every
/// entry's parent present, counts consistent, index consistent), leaks a
/// watch, watches outside the tree, or rescans with no overflow since its
/// last rescan ([`Check::Safety`]).
pub fn fuzz_one(data: &[u8]) {
    let ops = ops_from_bytes(data);
    for cap in [256, 5] {
        if let Err(msg) = run(&ops, cap, Check::Safety) {
            panic!("capacity {cap}: {msg}\nops: {ops:?}");
        }
    }
    if let Err(msg) = run_growing(&ops, Check::Safety) {
        panic!("growing storage: {msg}\nops: {ops:?}");
    }
}
