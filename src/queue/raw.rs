//! The byte layer under every queue: a ring of bytes in memory that several
//! processes share, a robust lock for the producers, a compare-and-swap for
//! the consumers, and three wake-up words.
//!
//! See the module documentation of [`crate::queue`] for the design; this
//! file is the only place in the queue code that talks to the kernel.

use std::cell::UnsafeCell;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{CreateError, GetError, OsError, PutError, TaskDoneError};

/// Bytes of shared data space a queue reserves when you do not say
/// otherwise: 1 GiB of *address space*. Pages cost memory only once an item
/// is written into them, and the queue hands them back to the kernel as soon
/// as they are consumed.
pub const DEFAULT_BUFFER_BYTES: usize = 1 << 30;

/// The smallest data space a queue accepts (one 1 MiB chunk).
pub const MIN_BUFFER_BYTES: usize = CHUNK as usize;

/// The largest data space a queue accepts (2 GiB): positions in the ring
/// are counted in 32 bits. Asking for more is
/// [`CreateError::BufferTooLarge`].
pub const MAX_BUFFER_BYTES: usize = 1 << 31;

/// Room taken by the header page at the start of the mapping.
const HEADER_BYTES: usize = 4096;
/// Consumed space is handed back to the kernel in chunks of this size.
const CHUNK: u64 = 1 << 20;
/// Every item is stored as an 8-byte word holding its length, then its
/// bytes, padded to whole 8-byte words: the data space is only ever read
/// and written in aligned 8-byte atomic words.
const LEN_BYTES: u64 = 8;
/// The unit the data space is read and written in.
const WORD: u32 = 8;
/// How often `trylock` is retried before sleeping on the lock.
const LOCK_SPINS: u32 = 200;
/// How often a getter (or putter) re-reads the counters before sleeping
/// (about 0.1 ms in all, on our machine).
const WAIT_SPINS: u32 = 250;
/// Between two reads, pause for at most 2^this spin hints: every read of a
/// word that the other side is about to write pulls its cache line away
/// from that side, so reading less often lets it write sooner.
const MAX_BACKOFF_SHIFT: u32 = 5;
/// While re-reading, give the processor away this often (more processes
/// than processors: the one we wait for may need it).
const YIELD_EVERY: u32 = 32;
/// A blocked caller wakes at least this often to look again (see the module
/// docs: this bounds the harm a process killed at the worst moment can do).
const WAIT_SLICE: Duration = Duration::from_secs(1);

/// How long a call may block: Python's `(block, timeout)` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// `block=False`: fail at once (`Full` / `Empty`).
    No,
    /// `block=True, timeout=None`: wait as long as it takes.
    Forever,
    /// `block=True, timeout=t`: wait at most `t`.
    For(Duration),
}

impl Block {
    fn deadline(self) -> Deadline {
        match self {
            Block::No => Deadline::Now,
            Block::Forever => Deadline::Never,
            Block::For(t) => match Instant::now().checked_add(t) {
                Some(at) => Deadline::At(at),
                None => Deadline::Never,
            },
        }
    }
}

#[derive(Clone, Copy)]
enum Deadline {
    Now,
    Never,
    At(Instant),
}

impl Deadline {
    /// Time left, `None` when there is none.
    fn left(self) -> Option<Duration> {
        match self {
            Deadline::Now => None,
            Deadline::Never => Some(WAIT_SLICE),
            Deadline::At(at) => {
                let left = at.saturating_duration_since(Instant::now());
                (!left.is_zero()).then_some(left.min(WAIT_SLICE))
            }
        }
    }
}

/// A wake-up word: a futex sequence number plus a count of sleepers, so a
/// wake-up costs a system call only when somebody sleeps.
#[repr(C)]
struct Cond {
    seq: AtomicU32,
    waiters: AtomicU32,
}

/// The first page of the shared mapping. Each group of fields that one side
/// writes has a 64-byte cache line of its own, so that a put and a get do
/// not pull the same line back and forth between processors.
#[repr(C, align(64))]
struct Header {
    /// The producers' line: their lock, and what they last saw of the
    /// consumers' word.
    producers: Producers,
    /// Written by `put` under the lock, in one store: the byte position
    /// just after the newest item (low 32 bits) and the number of items
    /// ever put (high 32 bits), both counting modulo 2^32.
    put_word: Line<AtomicU64>,
    /// Moved on by `get` with one compare-and-swap, without the lock: the
    /// byte position of the oldest item (low half) and the number of items
    /// ever taken (high half).
    get_word: Line<AtomicU64>,
    /// Wake-up words, on their own cache line.
    conds: Conds,
    /// Items ever marked done, modulo 2^32 (changed without the lock), on a
    /// cache line of its own so `task_done` does not disturb the others.
    /// The unfinished tasks are the items ever put (in `put_word`) minus
    /// this: a `put` counts its task in the same store that publishes the
    /// item, so no process killed mid-`put` can leave the count wrong.
    done: Line<AtomicU32>,
    /// Fixed at creation, on a line nobody writes afterwards.
    fixed: Fixed,
    /// How many times a lock was taken over from a dead owner.
    recoveries: AtomicU64,
}

/// A value on a cache line of its own.
#[repr(C, align(64))]
struct Line<T>(T);

impl<T> std::ops::Deref for Line<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

#[repr(C, align(64))]
struct Producers {
    mutex: UnsafeCell<libc::pthread_mutex_t>,
    /// The consumers' word as a producer last read it (only touched under
    /// the lock). Items are only ever taken, so an old copy overstates how
    /// full the queue is and is safe to decide "it fits" on; a producer
    /// reads the real word (a trip to another processor's cache) only when
    /// the old copy says the item does not fit.
    seen_get_word: UnsafeCell<u64>,
}

#[repr(C, align(64))]
struct Conds {
    not_empty: Cond,
    not_full: Cond,
    all_done: Cond,
}

#[repr(C, align(64))]
struct Fixed {
    /// Size of the data space in bytes: a power of two, at most 2^31, so
    /// positions counted modulo 2^32 map onto it.
    capacity: u64,
    /// Most items the queue holds; 0 means no limit.
    maxsize: u64,
}

/// The (position, count) pair stored in one word.
fn unpack(word: u64) -> (u32, u32) {
    (word as u32, (word >> 32) as u32)
}

fn pack(pos: u32, count: u32) -> u64 {
    u64::from(pos) | (u64::from(count) << 32)
}

/// Bytes an item of `len` bytes takes in the data space: its length word
/// and its bytes rounded up to whole words.
fn frame_bytes(len: u64) -> u64 {
    LEN_BYTES + len.next_multiple_of(u64::from(WORD))
}

/// Items and bytes between a consumers' word and a producers' word.
fn between(get_word: u64, put_word: u64) -> (u32, u32) {
    let (head, gets) = unpack(get_word);
    let (tail, puts) = unpack(put_word);
    (puts.wrapping_sub(gets), tail.wrapping_sub(head))
}

impl Header {
    /// The two words, the consumers' first: items are only taken after
    /// they were put, so a later look at the producers' word is never
    /// behind it and the differences never go below zero.
    fn words(&self) -> (u64, u64) {
        let get_word = self.get_word.load(Ordering::SeqCst);
        (get_word, self.put_word.load(Ordering::SeqCst))
    }

    /// Items in the queue: put minus taken (wrapping).
    fn items(&self) -> u32 {
        let (get_word, put_word) = self.words();
        between(get_word, put_word).0
    }

    /// Tasks not yet marked done: put minus done (wrapping).
    fn unfinished(&self) -> u32 {
        let (_, puts) = unpack(self.put_word.load(Ordering::SeqCst));
        puts.wrapping_sub(self.done.load(Ordering::SeqCst))
    }

    /// Bytes in use: tail minus head (wrapping).
    fn used(&self) -> u32 {
        let (get_word, put_word) = self.words();
        between(get_word, put_word).1
    }
}

const _: () = assert!(std::mem::size_of::<Header>() <= HEADER_BYTES);

/// The mapping, unmapped when the last handle in this process is dropped.
struct Mapping {
    base: NonNull<u8>,
    len: usize,
    /// Set by `close()`: this process's handles refuse put and get.
    closed: AtomicBool,
}

// SAFETY: the mapping is plain shared memory. Every field that is written
// after creation is an atomic or is only touched while holding the
// process-shared mutex, so handing the pointer to other threads is sound.
unsafe impl Send for Mapping {}
// SAFETY: as above; all shared access goes through atomics or the mutex.
unsafe impl Sync for Mapping {}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `base`/`len` describe a mapping we created with mmap and
        // nobody in this process uses any more (this is the last handle).
        // The mutex is not destroyed: other processes may still use it, and
        // the kernel frees the memory when the last process unmaps it.
        // munmap can only fail for bad arguments, which ours are not.
        let _ = unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}

/// A queue of byte strings shared between processes: the layer under
/// [`Queue`](super::Queue), without serialization.
///
/// Python has no public equivalent; the closest is the pipe under
/// `multiprocessing.Queue` with `Connection.send_bytes`/`recv_bytes`.
/// Cloning gives another handle on the same queue (for threads); a process
/// forked after the queue was created shares it too.
#[derive(Clone)]
pub struct RawQueue {
    map: Arc<Mapping>,
}

impl std::fmt::Debug for RawQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawQueue")
            .field("qsize", &self.qsize())
            .field("maxsize", &self.maxsize())
            .field("closed", &self.is_closed())
            .finish()
    }
}

fn check(op: &'static str, rc: libc::c_int) -> Result<(), OsError> {
    if rc == 0 {
        Ok(())
    } else {
        Err(OsError { op, errno: rc })
    }
}

fn futex_wait(word: &AtomicU32, expected: u32, timeout: Duration) {
    let ts = libc::timespec {
        tv_sec: timeout.as_secs().min(i32::MAX as u64) as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: `word` is a valid, aligned u32 in shared memory that lives as
    // long as the mapping; FUTEX_WAIT (without the private flag, because the
    // word is shared between processes) only reads it. Every outcome
    // (woken, value changed, timed out, interrupted) is handled by the
    // caller re-checking its condition, so the result is not needed.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            &ts as *const libc::timespec,
            std::ptr::null::<u32>(),
            0u32,
        );
    }
}

fn futex_wake(word: &AtomicU32, count: i32) {
    // SAFETY: as in `futex_wait`; FUTEX_WAKE does not touch the memory. It
    // cannot fail for a valid address, and waking nobody is fine.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE,
            count,
            std::ptr::null::<libc::timespec>(),
            std::ptr::null::<u32>(),
            0u32,
        );
    }
}

impl Cond {
    /// Wake one sleeper (or all), if anybody sleeps.
    fn notify(&self, all: bool) {
        if self.waiters.load(Ordering::SeqCst) > 0 {
            self.seq.fetch_add(1, Ordering::SeqCst);
            futex_wake(&self.seq, if all { i32::MAX } else { 1 });
        }
    }
}

/// What one attempt to take an item found.
#[derive(Debug, PartialEq, Eq)]
enum Take {
    /// No item in the queue.
    Empty,
    /// Another consumer claimed the item first.
    Lost,
    /// We claimed it: the head moved from `old_head` to `new_head`.
    Took { old_head: u32, new_head: u32 },
}

/// Proof that this thread holds the queue's lock; unlocks when dropped.
struct Guard<'a> {
    queue: &'a RawQueue,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        // SAFETY: the guard exists only while this thread owns the mutex,
        // which is initialized and lives in our mapping. Unlocking a robust
        // mutex we own, and made consistent, cannot fail.
        let _ = unsafe { libc::pthread_mutex_unlock(self.queue.header().producers.mutex.get()) };
    }
}

impl RawQueue {
    /// A new queue holding at most `maxsize` items (0: no limit) in a data
    /// space of `buffer_bytes` bytes, rounded up to the next power of two
    /// and to at least [`MIN_BUFFER_BYTES`] (1 MiB);
    /// [`RawQueue::buffer_bytes`] tells the size it got. More than
    /// [`MAX_BUFFER_BYTES`] (2 GiB) is refused with
    /// [`CreateError::BufferTooLarge`].
    pub fn new(maxsize: usize, buffer_bytes: usize) -> Result<Self, CreateError> {
        if buffer_bytes > MAX_BUFFER_BYTES {
            return Err(CreateError::BufferTooLarge {
                requested: buffer_bytes,
                max: MAX_BUFFER_BYTES,
            });
        }
        Ok(Self::with_capacity(
            maxsize,
            buffer_bytes.max(MIN_BUFFER_BYTES).next_power_of_two(),
        )?)
    }

    /// [`RawQueue::new`] with a data space of exactly `capacity` bytes, a
    /// power of two from [`MIN_BUFFER_BYTES`] to [`MAX_BUFFER_BYTES`].
    pub(super) fn with_capacity(maxsize: usize, capacity: usize) -> Result<Self, OsError> {
        debug_assert!(
            capacity.is_power_of_two() && (MIN_BUFFER_BYTES..=MAX_BUFFER_BYTES).contains(&capacity)
        );
        let len = HEADER_BYTES + capacity;
        // SAFETY: an anonymous shared mapping at an address of the kernel's
        // choosing; no existing memory is affected. MAP_NORESERVE: pages are
        // backed only when first written.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(OsError {
                op: "mmap",
                errno: std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
            });
        }
        let base = NonNull::new(ptr.cast::<u8>()).ok_or(OsError {
            op: "mmap",
            errno: 0,
        })?;
        // From here on, dropping `map` unmaps the region again.
        let map = Mapping {
            base,
            len,
            closed: AtomicBool::new(false),
        };
        let header = base.as_ptr().cast::<Header>();
        // SAFETY: the mapping is fresh, zero-filled, page-aligned (so
        // aligned for Header) and large enough; no other thread or process
        // can see it yet. All-zero bytes are valid for every Header field,
        // so writing the fixed fields in place is sound.
        unsafe {
            (*header).fixed.capacity = capacity as u64;
            (*header).fixed.maxsize = maxsize as u64;
        }
        // SAFETY: `attr` is initialized by pthread_mutexattr_init before
        // use and destroyed after; the mutex lives in the fresh mapping
        // (see above). Each return code is checked.
        unsafe {
            let mut attr = std::mem::MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
            check(
                "pthread_mutexattr_init",
                libc::pthread_mutexattr_init(attr.as_mut_ptr()),
            )?;
            let attr = attr.as_mut_ptr();
            let made = check(
                "pthread_mutexattr_setpshared",
                libc::pthread_mutexattr_setpshared(attr, libc::PTHREAD_PROCESS_SHARED),
            )
            .and_then(|()| {
                check(
                    "pthread_mutexattr_setrobust",
                    libc::pthread_mutexattr_setrobust(attr, libc::PTHREAD_MUTEX_ROBUST),
                )
            })
            .and_then(|()| {
                check(
                    "pthread_mutex_init",
                    libc::pthread_mutex_init((*header).producers.mutex.get(), attr),
                )
            });
            check(
                "pthread_mutexattr_destroy",
                libc::pthread_mutexattr_destroy(attr),
            )?;
            made?;
        }
        Ok(RawQueue { map: Arc::new(map) })
    }

    fn header(&self) -> &Header {
        // SAFETY: the mapping starts with an initialized Header and lives as
        // long as `self.map`; shared fields are atomics or behind the mutex.
        unsafe { &*self.map.base.as_ptr().cast::<Header>() }
    }

    fn capacity(&self) -> u32 {
        self.header().fixed.capacity as u32
    }

    fn data(&self) -> *mut u8 {
        // SAFETY: HEADER_BYTES is inside the mapping.
        unsafe { self.map.base.as_ptr().add(HEADER_BYTES) }
    }

    /// Take the lock, spinning briefly first (the lock is held for a copy
    /// of a few bytes, so it is usually free again within nanoseconds).
    fn lock(&self) -> Result<Guard<'_>, OsError> {
        let mutex = self.header().producers.mutex.get();
        let mut spins = 0;
        let rc = loop {
            // SAFETY: `mutex` is an initialized process-shared robust mutex
            // in our live mapping.
            let rc = unsafe { libc::pthread_mutex_trylock(mutex) };
            if rc != libc::EBUSY {
                break rc;
            }
            spins += 1;
            if spins >= LOCK_SPINS {
                // SAFETY: as above.
                break unsafe { libc::pthread_mutex_lock(mutex) };
            }
            std::hint::spin_loop();
        };
        match rc {
            0 => Ok(Guard { queue: self }),
            libc::EOWNERDEAD => {
                // We own the lock now, but its last owner died holding it.
                let guard = Guard { queue: self };
                self.recover();
                // SAFETY: we own the mutex (EOWNERDEAD hands it to us).
                check("pthread_mutex_consistent", unsafe {
                    libc::pthread_mutex_consistent(mutex)
                })?;
                Ok(guard)
            }
            rc => Err(OsError {
                op: "pthread_mutex_lock",
                errno: rc,
            }),
        }
    }

    /// Repair after a lock owner died. Every change is published by a
    /// single store (see `put_word`), so the queue is already consistent:
    /// the dead process either changed nothing or finished its change. Only
    /// its wake-up may be missing, so wake every sleeper to look again.
    fn recover(&self) {
        let h = self.header();
        h.recoveries.fetch_add(1, Ordering::Relaxed);
        for cond in [&h.conds.not_empty, &h.conds.not_full, &h.conds.all_done] {
            cond.seq.fetch_add(1, Ordering::SeqCst);
            futex_wake(&cond.seq, i32::MAX);
        }
    }

    /// Sleep on `cond` until it is notified or `left` passes, unless
    /// `ready` already holds. The sleeper registers first and looks at
    /// `ready` after, and a notifier changes the queue first and looks for
    /// sleepers after (all in sequentially consistent order), so either
    /// the sleeper sees the change or the notifier sees the sleeper: a
    /// wake-up is never lost.
    fn sleep_unless(&self, cond: &Cond, left: Duration, ready: impl Fn(&Header) -> bool) {
        cond.waiters.fetch_add(1, Ordering::SeqCst);
        let seq = cond.seq.load(Ordering::SeqCst);
        if !ready(self.header()) {
            futex_wait(&cond.seq, seq, left);
        }
        cond.waiters.fetch_sub(1, Ordering::SeqCst);
    }

    /// Re-read `ready` for a short while, less and less often; true if it
    /// became true. Saves a sleep and a wake-up when the other side is only
    /// a moment behind.
    fn spin_until(&self, ready: impl Fn(&Header) -> bool) -> bool {
        for i in 0..WAIT_SPINS {
            if ready(self.header()) {
                return true;
            }
            if i % YIELD_EVERY == YIELD_EVERY - 1 {
                std::thread::yield_now();
            } else {
                for _ in 0..(1u32 << i.min(MAX_BACKOFF_SHIFT)) {
                    std::hint::spin_loop();
                }
            }
        }
        false
    }

    /// The 8-byte word of the data space at byte position `pos` (a
    /// multiple of 8, counted round the ring).
    fn word(&self, pos: u32) -> &AtomicU64 {
        let off = (pos & (self.capacity() - 1)) as usize;
        // SAFETY: `off` is below the capacity, a multiple of 8, so the 8
        // bytes at `off` lie inside the data space, and they are aligned
        // (the data space starts on a page and `pos` is a multiple of 8).
        // The mapping lives as long as `self`. The data space is only ever
        // accessed through these atomic words, by every process, so a
        // reader racing a writer reads some word's value, never torn or
        // undefined memory.
        unsafe { &*self.data().add(off).cast::<AtomicU64>() }
    }

    /// Write an item's length word and bytes at `pos` (free space: the
    /// caller holds the lock and has checked the room).
    fn write_item(&self, pos: u32, bytes: &[u8]) {
        self.word(pos).store(bytes.len() as u64, Ordering::Relaxed);
        let mut at = pos.wrapping_add(WORD);
        for chunk in bytes.chunks(WORD as usize) {
            let mut word = [0u8; WORD as usize];
            word[..chunk.len()].copy_from_slice(chunk);
            self.word(at)
                .store(u64::from_le_bytes(word), Ordering::Relaxed);
            at = at.wrapping_add(WORD);
        }
    }

    /// Read `len` bytes of an item whose length word is at `pos` into
    /// `buf`, replacing its contents.
    fn read_item(&self, pos: u32, len: usize, buf: &mut Vec<u8>) {
        buf.clear();
        buf.resize(len, 0);
        let mut at = pos.wrapping_add(WORD);
        for chunk in buf.chunks_mut(WORD as usize) {
            let word = self.word(at).load(Ordering::Relaxed).to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
            at = at.wrapping_add(WORD);
        }
    }

    /// Hand the 1 MiB chunks that the head has just left behind (moving
    /// from `old_head` to `new_head`) back to the kernel, unless the writer
    /// has already lapped into them. Takes the producers' lock, so no item
    /// is written meanwhile; only the `get` whose item crosses a chunk
    /// boundary calls it, once per MiB. If the lock cannot be taken (the
    /// system refuses), the memory simply stays in use.
    fn release(&self, old_head: u32, new_head: u32) {
        let chunk = CHUNK as u32;
        if old_head & !(chunk - 1) == new_head & !(chunk - 1) {
            return;
        }
        let Ok(_guard) = self.lock() else {
            return;
        };
        let (tail, _) = unpack(self.header().put_word.load(Ordering::SeqCst));
        let cap = self.capacity();
        let consumed = new_head.wrapping_sub(old_head);
        let mut start = old_head & !(chunk - 1);
        loop {
            let end = start.wrapping_add(chunk);
            if end.wrapping_sub(old_head) > consumed {
                return;
            }
            // Free only if no item lies in this chunk's bytes on the next
            // lap round the ring, i.e. before `start + cap`. Counted from the
            // head: the items reach `tail - new_head` bytes on; the chunk's
            // next lap starts `cap - (new_head - start)` bytes on (negative if
            // the head is already inside it).
            let room = i64::from(cap) - i64::from(new_head.wrapping_sub(start));
            if i64::from(tail.wrapping_sub(new_head)) <= room {
                // SAFETY: the chunk lies inside the data space (cap is a
                // multiple of CHUNK) and holds no item: it is before the head
                // and the tail has not come round to it, and no producer
                // writes while we hold the lock. A consumer that still reads
                // it (one that lost the race for an item there) reads zeros
                // and then fails its compare-and-swap. MADV_REMOVE frees the
                // pages of a shared anonymous mapping (they read as zeros
                // afterwards). If the kernel refuses, the memory simply stays
                // in use, so the result is not needed.
                unsafe {
                    libc::madvise(
                        self.data().add((start % cap) as usize).cast(),
                        CHUNK as usize,
                        libc::MADV_REMOVE,
                    );
                }
            }
            start = end;
        }
    }

    /// Put one item's bytes (Python: `put(obj, block, timeout)`).
    pub fn put_bytes(&self, bytes: &[u8], block: Block) -> Result<(), PutError<()>> {
        if self.is_closed() {
            return Err(PutError::Closed(()));
        }
        let h = self.header();
        let cap = u64::from(self.capacity());
        let frame = frame_bytes(bytes.len() as u64);
        if frame > cap {
            return Err(PutError::TooBig {
                item: (),
                size: bytes.len(),
                capacity: (cap - LEN_BYTES) as usize,
            });
        }
        let maxsize = h.fixed.maxsize;
        let fits_between = |get_word: u64, put_word: u64| {
            let (items, used) = between(get_word, put_word);
            // An old `seen_get_word` can make `used` look bigger than the
            // data space: that is "does not fit", and the caller looks again.
            (maxsize == 0 || u64::from(items) < maxsize)
                && cap.saturating_sub(u64::from(used)) >= frame
        };
        let fits = |h: &Header| {
            let (get_word, put_word) = h.words();
            fits_between(get_word, put_word)
        };
        let deadline = block.deadline();
        let mut spun = false;
        let os = |error| PutError::Os { item: (), error };
        loop {
            let guard = self.lock().map_err(os)?;
            // Only producers write this word, and only under the lock.
            let put_word = h.put_word.load(Ordering::Relaxed);
            // SAFETY: `seen_get_word` is only touched by the holder of the
            // lock, which `guard` proves we are.
            let seen = unsafe { &mut *h.producers.seen_get_word.get() };
            if !fits_between(*seen, put_word) {
                *seen = h.get_word.load(Ordering::SeqCst);
            }
            if fits_between(*seen, put_word) {
                let (tail, puts) = unpack(put_word);
                self.write_item(tail, bytes);
                // The commit: one store publishes the item and counts its
                // task (one more put).
                let new_tail = tail.wrapping_add(frame as u32);
                h.put_word
                    .store(pack(new_tail, puts.wrapping_add(1)), Ordering::SeqCst);
                drop(guard);
                h.conds.not_empty.notify(false);
                return Ok(());
            }
            drop(guard);
            let Some(left) = deadline.left() else {
                return Err(PutError::Full(()));
            };
            if spun {
                self.sleep_unless(&h.conds.not_full, left, fits);
            } else {
                spun = true;
                self.spin_until(fits);
            }
        }
    }

    /// One attempt to take the item at the head, as the two words (read in
    /// that order) describe the queue: read it, then claim it with a
    /// compare-and-swap of the consumers' word. If another consumer claimed
    /// it first, the swap fails: what we read may then be bytes a producer
    /// has since reused, and it is thrown away.
    fn take_from(&self, get_word: u64, put_word: u64, buf: &mut Vec<u8>) -> Take {
        let (items, used) = between(get_word, put_word);
        if items == 0 {
            return Take::Empty;
        }
        let (head, gets) = unpack(get_word);
        let len = self.word(head).load(Ordering::Relaxed);
        // Not a length this item can have: somebody took it and its bytes
        // were reused. (Compare `len` first: a reused word may hold any
        // value, and rounding it up could overflow.)
        if len > u64::from(used) || frame_bytes(len) > u64::from(used) {
            return Take::Lost;
        }
        self.read_item(head, len as usize, buf);
        let new_head = head.wrapping_add(frame_bytes(len) as u32);
        // The commit: one compare-and-swap removes the item.
        match self.header().get_word.compare_exchange(
            get_word,
            pack(new_head, gets.wrapping_add(1)),
            Ordering::SeqCst,
            Ordering::Relaxed,
        ) {
            Ok(_) => Take::Took {
                old_head: head,
                new_head,
            },
            Err(_) => Take::Lost,
        }
    }

    /// Take the oldest item's bytes into `buf`, replacing its contents
    /// (Python: `get(block, timeout)`).
    pub fn get_bytes(&self, buf: &mut Vec<u8>, block: Block) -> Result<(), GetError> {
        if self.is_closed() {
            return Err(GetError::Closed);
        }
        let h = self.header();
        let ready = |h: &Header| h.items() > 0;
        let deadline = block.deadline();
        let mut spun = false;
        loop {
            let (get_word, put_word) = h.words();
            match self.take_from(get_word, put_word, buf) {
                Take::Took { old_head, new_head } => {
                    self.release(old_head, new_head);
                    h.conds.not_full.notify(true);
                    return Ok(());
                }
                // Another consumer was quicker: look again at once.
                Take::Lost => continue,
                Take::Empty => {}
            }
            let Some(left) = deadline.left() else {
                return Err(GetError::Empty);
            };
            if spun {
                self.sleep_unless(&h.conds.not_empty, left, ready);
            } else {
                spun = true;
                self.spin_until(ready);
            }
        }
    }

    /// Mark one item as done (Python: `JoinableQueue.task_done()`).
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let h = self.header();
        let mut done = h.done.load(Ordering::SeqCst);
        let count = loop {
            // Items are only ever added, so a count read now is never
            // higher than the truth: "too many" is never claimed wrongly
            // for an item this process has taken.
            let (_, puts) = unpack(h.put_word.load(Ordering::SeqCst));
            let count = puts.wrapping_sub(done);
            if count == 0 {
                return Err(TaskDoneError);
            }
            match h.done.compare_exchange_weak(
                done,
                done.wrapping_add(1),
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => break count,
                Err(now) => done = now,
            }
        };
        if count == 1 {
            h.conds.all_done.notify(true);
        }
        Ok(())
    }

    /// Wait until every item put has been marked done, or until `timeout`
    /// passes; true if all were done (Python: `JoinableQueue.join()`).
    pub fn join_for(&self, timeout: Option<Duration>) -> bool {
        let h = self.header();
        let deadline = match timeout {
            None => Deadline::Never,
            Some(t) => Block::For(t).deadline(),
        };
        loop {
            if h.unfinished() == 0 {
                return true;
            }
            let Some(left) = deadline.left() else {
                return false;
            };
            self.sleep_unless(&h.conds.all_done, left, |h| h.unfinished() == 0);
        }
    }

    /// Items put and not yet marked done (a snapshot).
    pub fn unfinished_tasks(&self) -> usize {
        self.header().unfinished() as usize
    }

    /// How many callers (threads of any process) are asleep, or about to
    /// sleep, in a blocking `get` of this queue: they have registered as
    /// waiters, so the next `put` wakes one of them (a snapshot; no Python
    /// equivalent). Callers still spinning before they sleep are not
    /// counted; a process killed while waiting stays counted. Tests use it
    /// to know a getter is blocked before they put.
    pub fn waiting_getters(&self) -> usize {
        self.header().conds.not_empty.waiters.load(Ordering::SeqCst) as usize
    }

    /// How many callers are asleep, or about to sleep, in a blocking `put`
    /// of this queue, waiting for room (a snapshot; see
    /// [`RawQueue::waiting_getters`]).
    pub fn waiting_putters(&self) -> usize {
        self.header().conds.not_full.waiters.load(Ordering::SeqCst) as usize
    }

    /// Items in the queue at this moment (a snapshot).
    pub fn qsize(&self) -> usize {
        self.header().items() as usize
    }

    /// Bytes the queued items take in the data space at this moment,
    /// including an 8-byte length word per item and the padding of each
    /// item to whole 8-byte words (a snapshot).
    pub fn bytes_used(&self) -> usize {
        self.header().used() as usize
    }

    /// The item limit given at creation; 0 means none.
    pub fn maxsize(&self) -> usize {
        self.header().fixed.maxsize as usize
    }

    /// Size of the data space in bytes.
    pub fn buffer_bytes(&self) -> usize {
        self.capacity() as usize
    }

    /// How many times some process took the lock over from a process that
    /// died holding it.
    pub fn recoveries(&self) -> u64 {
        self.header().recoveries.load(Ordering::Relaxed)
    }

    /// Refuse further put and get through every handle of this queue in
    /// this process; other processes are not affected.
    pub fn close(&self) {
        self.map.closed.store(true, Ordering::SeqCst);
    }

    /// Whether `close` was called in this process.
    pub fn is_closed(&self) -> bool {
        self.map.closed.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `body` in a forked child and fails the test unless the child
    /// exits with status 0. A panic in `body` (a failed assertion) ends the
    /// child with status 1 and its message comes back through a pipe, so the
    /// test fails with it; a signal or another status fails the test too.
    fn in_child(body: impl FnOnce()) {
        use std::io::Read;
        use std::os::fd::{FromRawFd, OwnedFd};
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        // SAFETY: fresh descriptors from the kernel, each owned only here.
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        // SAFETY: the child only runs `body` (operations on shared memory)
        // under catch_unwind and leaves with _exit, never returning into the
        // harness.
        match unsafe { libc::fork() } {
            0 => {
                drop(r);
                let code = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
                    Ok(()) => 0,
                    Err(payload) => {
                        let message = payload
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| payload.downcast_ref::<String>().cloned())
                            .unwrap_or_default();
                        let mut w = std::fs::File::from(w);
                        let _ = std::io::Write::write_all(&mut w, message.as_bytes());
                        1
                    }
                };
                // SAFETY: ends the child without running destructors.
                unsafe { libc::_exit(code) }
            }
            -1 => panic!("fork failed"),
            pid => {
                drop(w);
                let mut message = String::new();
                let _ = std::fs::File::from(r).read_to_string(&mut message);
                let mut status = 0;
                // SAFETY: waits for our own child.
                assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
                if libc::WIFSIGNALED(status) {
                    panic!("the child was killed by signal {}", libc::WTERMSIG(status));
                }
                let code = libc::WEXITSTATUS(status);
                assert!(
                    libc::WIFEXITED(status) && code == 0,
                    "the child failed with exit status {code}: {message}"
                );
            }
        }
    }

    /// A process that dies while holding the lock (here: exits on purpose
    /// right after taking it) blocks nobody: the next `lock` gets
    /// EOWNERDEAD from the kernel and carries on.
    #[test]
    fn lock_holder_death_is_recovered() {
        let q = RawQueue::new(0, MIN_BUFFER_BYTES).expect("queue");
        q.put_bytes(b"before", Block::No).expect("put");
        in_child(|| std::mem::forget(q.lock()));
        q.put_bytes(b"after", Block::For(Duration::from_secs(5)))
            .expect("put after the owner died");
        assert_eq!(q.recoveries(), 1);
        let mut buf = Vec::new();
        q.get_bytes(&mut buf, Block::No).expect("get");
        assert_eq!(buf, b"before");
        q.get_bytes(&mut buf, Block::No).expect("get");
        assert_eq!(buf, b"after");
    }

    /// A get that dies after reading the item but before its commit
    /// (the compare-and-swap) leaves the item in the queue for the next
    /// consumer, and no lock held.
    #[test]
    fn get_killed_before_commit_loses_nothing() {
        let q = RawQueue::new(0, MIN_BUFFER_BYTES).expect("queue");
        q.put_bytes(b"dish", Block::No).expect("put");
        in_child(|| {
            let mut copy = Vec::new();
            let (head, _) = unpack(q.header().get_word.load(Ordering::SeqCst));
            let len = q.word(head).load(Ordering::Relaxed);
            q.read_item(head, len as usize, &mut copy);
            assert_eq!(copy, b"dish");
        });
        let mut buf = Vec::new();
        q.get_bytes(&mut buf, Block::No)
            .expect("the item is still there");
        assert_eq!(buf, b"dish");
        assert_eq!(q.recoveries(), 0);
    }

    /// A consumer that looked at the queue, then lost the race for the
    /// head item (another consumer took it, and a producer reused its
    /// bytes) claims nothing, whatever those bytes now hold: a length that
    /// cannot be (even `u64::MAX`, which must not overflow) or a plausible
    /// one.
    #[test]
    fn a_claim_lost_to_another_consumer_takes_nothing() {
        let q = RawQueue::new(0, MIN_BUFFER_BYTES).expect("queue");
        q.put_bytes(b"salad", Block::No).expect("put");
        q.put_bytes(b"bread", Block::No).expect("put");
        let (get_word, put_word) = q.header().words();
        let mut buf = Vec::new();
        q.get_bytes(&mut buf, Block::No).expect("get");
        assert_eq!(buf, b"salad");
        let (old_head, _) = unpack(get_word);
        for reused in [u64::MAX, 3, 5, 0] {
            q.word(old_head).store(reused, Ordering::Relaxed);
            assert_eq!(q.take_from(get_word, put_word, &mut buf), Take::Lost);
        }
        q.get_bytes(&mut buf, Block::No).expect("get");
        assert_eq!(buf, b"bread");
        assert_eq!(q.take_from(get_word, put_word, &mut buf), Take::Lost);
        let (get_word, put_word) = q.header().words();
        assert_eq!(q.take_from(get_word, put_word, &mut buf), Take::Empty);
    }

    /// A put that dies after copying its item in but before its commit
    /// store leaves neither an item nor an unfinished task behind (the
    /// task is counted by the commit itself), so `join` still returns.
    #[test]
    fn put_killed_before_commit_leaves_no_task() {
        let q = RawQueue::new(0, MIN_BUFFER_BYTES).expect("queue");
        q.put_bytes(b"dish", Block::No).expect("put");
        in_child(|| {
            let guard = q.lock();
            let (tail, _) = unpack(q.header().put_word.load(Ordering::Relaxed));
            q.write_item(tail, b"half");
            std::mem::forget(guard);
        });
        assert_eq!(q.unfinished_tasks(), 1);
        let mut buf = Vec::new();
        q.get_bytes(&mut buf, Block::No).expect("get");
        assert_eq!(buf, b"dish");
        assert!(
            q.get_bytes(&mut buf, Block::No).is_err(),
            "the half-put item is not there"
        );
        q.task_done().expect("task_done");
        assert!(q.join_for(Some(Duration::ZERO)), "join returns");
        assert!(q.task_done().is_err(), "one task_done too many");
        // The next put takes the lock over from the dead producer.
        q.put_bytes(b"next", Block::For(Duration::from_secs(5)))
            .expect("put after the producer died");
        assert_eq!(q.recoveries(), 1);
        q.get_bytes(&mut buf, Block::No).expect("get");
        assert_eq!(buf, b"next");
    }

    #[test]
    fn wraps_around_the_ring() {
        let q = RawQueue::new(0, MIN_BUFFER_BYTES).expect("queue");
        let mut buf = Vec::new();
        for round in 0..20u8 {
            let mut item = vec![7u8; 300_000];
            item[0] = round;
            q.put_bytes(&item, Block::No).expect("put");
            q.put_bytes(&item, Block::No).expect("put");
            q.get_bytes(&mut buf, Block::No).expect("get");
            assert!(buf == item, "round {round}: first item differs");
            q.get_bytes(&mut buf, Block::No).expect("get");
            assert!(buf == item, "round {round}: second item differs");
        }
        assert_eq!(q.bytes_used(), 0);
    }

    #[test]
    fn positions_wrap_modulo_2_to_the_32() {
        let q = RawQueue::new(0, MIN_BUFFER_BYTES).expect("queue");
        let start = u32::MAX - 103;
        let h = q.header();
        h.put_word.store(pack(start, u32::MAX), Ordering::Relaxed);
        h.get_word.store(pack(start, u32::MAX), Ordering::Relaxed);
        let mut buf = Vec::new();
        for i in 0..100u32 {
            q.put_bytes(&i.to_le_bytes(), Block::No).expect("put");
            q.put_bytes(&[9; 30], Block::No).expect("put");
            assert_eq!(q.qsize(), 2);
            q.get_bytes(&mut buf, Block::No).expect("get");
            assert_eq!(buf, i.to_le_bytes());
            q.get_bytes(&mut buf, Block::No).expect("get");
            assert_eq!(buf, [9; 30]);
        }
    }
}
