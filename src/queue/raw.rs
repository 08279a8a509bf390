//! The byte layer under every queue: a ring of bytes in memory that several
//! processes share, one robust lock and three wake-up words.
//!
//! See the module documentation of [`crate::queue`] for the design; this
//! file is the only place in the queue code that talks to the kernel.

use std::cell::UnsafeCell;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{GetError, OsError, PutError, TaskDoneError};

/// Bytes of shared data space a queue reserves when you do not say
/// otherwise: 1 GiB of *address space*. Pages cost memory only once an item
/// is written into them, and the queue hands them back to the kernel as soon
/// as they are consumed.
pub const DEFAULT_BUFFER_BYTES: usize = 1 << 30;

/// The smallest data space a queue accepts (one 1 MiB chunk).
pub const MIN_BUFFER_BYTES: usize = CHUNK as usize;

/// Room taken by the header page at the start of the mapping.
const HEADER_BYTES: usize = 4096;
/// Consumed space is handed back to the kernel in chunks of this size.
const CHUNK: u64 = 1 << 20;
/// Every item is stored as a 4-byte little-endian length, then its bytes.
const LEN_BYTES: u64 = 4;
/// How often `trylock` is retried before sleeping on the lock.
const LOCK_SPINS: u32 = 200;
/// How often a getter (or putter) re-reads the counters before sleeping.
const WAIT_SPINS: u32 = 4000;
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

/// The new values of one committed change, so that a process that takes the
/// lock from a dead owner can finish the change (see `recover`).
#[repr(C)]
struct Journal {
    valid: AtomicU32,
    head: AtomicU64,
    tail: AtomicU64,
    items: AtomicU64,
}

/// The first page of the shared mapping.
#[repr(C)]
struct Header {
    mutex: UnsafeCell<libc::pthread_mutex_t>,
    not_empty: Cond,
    not_full: Cond,
    all_done: Cond,
    /// Size of the data space in bytes (a multiple of `CHUNK`). Fixed.
    capacity: u64,
    /// Most items the queue holds; 0 means no limit. Fixed.
    maxsize: u64,
    /// Absolute byte position of the oldest item (only grows).
    head: AtomicU64,
    /// Absolute byte position just after the newest item (only grows).
    tail: AtomicU64,
    /// Items in the queue.
    items: AtomicU64,
    /// Items put and not yet marked done.
    unfinished: AtomicU64,
    journal: Journal,
    /// How many times a lock was taken over from a dead owner.
    recoveries: AtomicU64,
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

/// Proof that this thread holds the queue's lock; unlocks when dropped.
struct Guard<'a> {
    queue: &'a RawQueue,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        // SAFETY: the guard exists only while this thread owns the mutex,
        // which is initialized and lives in our mapping. Unlocking a robust
        // mutex we own, and made consistent, cannot fail.
        let _ = unsafe { libc::pthread_mutex_unlock(self.queue.header().mutex.get()) };
    }
}

impl RawQueue {
    /// A new queue holding at most `maxsize` items (0: no limit) in a data
    /// space of `buffer_bytes` bytes (rounded up to whole MiB).
    pub fn new(maxsize: usize, buffer_bytes: usize) -> Result<Self, OsError> {
        let capacity = buffer_bytes.max(MIN_BUFFER_BYTES).div_ceil(CHUNK as usize) * CHUNK as usize;
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
        let map = Mapping {
            base,
            len,
            closed: AtomicBool::new(false),
        };
        let header = base.as_ptr().cast::<Header>();
        // SAFETY: the mapping is fresh, zero-filled, page-aligned (so
        // aligned for Header) and large enough; no other thread or process
        // can see it yet. All-zero bytes are valid for every Header field,
        // so writing the two fixed fields in place is sound.
        unsafe {
            (*header).capacity = capacity as u64;
            (*header).maxsize = maxsize as u64;
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
            let set = check(
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
                    libc::pthread_mutex_init((*header).mutex.get(), attr),
                )
            });
            libc::pthread_mutexattr_destroy(attr);
            set?;
        }
        Ok(RawQueue { map: Arc::new(map) })
    }

    fn header(&self) -> &Header {
        // SAFETY: the mapping starts with an initialized Header and lives as
        // long as `self.map`; shared fields are atomics or behind the mutex.
        unsafe { &*self.map.base.as_ptr().cast::<Header>() }
    }

    fn data(&self) -> *mut u8 {
        // SAFETY: HEADER_BYTES is inside the mapping.
        unsafe { self.map.base.as_ptr().add(HEADER_BYTES) }
    }

    /// Take the lock, spinning briefly first (the lock is held for a copy
    /// of a few bytes, so it is usually free again within nanoseconds).
    fn lock(&self) -> Result<Guard<'_>, OsError> {
        let mutex = self.header().mutex.get();
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

    /// Repair after a lock owner died: redo its committed change, if any,
    /// and wake every sleeper so nobody waits for a wake-up the dead process
    /// never sent.
    fn recover(&self) {
        let h = self.header();
        if h.journal.valid.load(Ordering::Acquire) == 1 {
            h.head
                .store(h.journal.head.load(Ordering::Relaxed), Ordering::Relaxed);
            h.tail
                .store(h.journal.tail.load(Ordering::Relaxed), Ordering::Relaxed);
            h.items
                .store(h.journal.items.load(Ordering::Relaxed), Ordering::Relaxed);
            h.journal.valid.store(0, Ordering::Release);
        }
        h.recoveries.fetch_add(1, Ordering::Relaxed);
        for cond in [&h.not_empty, &h.not_full, &h.all_done] {
            cond.seq.fetch_add(1, Ordering::SeqCst);
            futex_wake(&cond.seq, i32::MAX);
        }
    }

    /// Publish new positions and count: write them to the journal, mark it
    /// valid (the commit point), apply them, clear the mark.
    fn commit(&self, _guard: &Guard<'_>, head: u64, tail: u64, items: u64) {
        let h = self.header();
        h.journal.head.store(head, Ordering::Relaxed);
        h.journal.tail.store(tail, Ordering::Relaxed);
        h.journal.items.store(items, Ordering::Relaxed);
        h.journal.valid.store(1, Ordering::Release);
        h.head.store(head, Ordering::Relaxed);
        h.tail.store(tail, Ordering::Relaxed);
        h.items.store(items, Ordering::Release);
        h.journal.valid.store(0, Ordering::Release);
    }

    /// Sleep on `cond` until notified, a slice of time passes or the
    /// deadline; the lock is released meanwhile and taken again after.
    fn wait<'a>(
        &'a self,
        cond: &Cond,
        guard: Guard<'a>,
        left: Duration,
    ) -> Result<Guard<'a>, OsError> {
        cond.waiters.fetch_add(1, Ordering::SeqCst);
        let seq = cond.seq.load(Ordering::SeqCst);
        drop(guard);
        futex_wait(&cond.seq, seq, left);
        cond.waiters.fetch_sub(1, Ordering::SeqCst);
        self.lock()
    }

    /// Re-read `ready` for a short while without the lock; true if it
    /// became true. Saves a sleep and a wake-up when the other side is only
    /// a moment behind.
    fn spin_until(&self, ready: impl Fn(&Header) -> bool) -> bool {
        for _ in 0..WAIT_SPINS {
            if ready(self.header()) {
                return true;
            }
            std::hint::spin_loop();
        }
        false
    }

    fn copy_in(&self, pos: u64, src: &[u8]) {
        let cap = self.header().capacity;
        let off = (pos % cap) as usize;
        let first = src.len().min(cap as usize - off);
        // SAFETY: off < cap and first <= cap - off, so both copies stay in
        // the data space; the caller holds the lock and has checked that
        // [pos, pos + len) is free space, which nobody else reads or writes.
        unsafe {
            std::ptr::copy_nonoverlapping(src.as_ptr(), self.data().add(off), first);
            std::ptr::copy_nonoverlapping(src.as_ptr().add(first), self.data(), src.len() - first);
        }
    }

    fn copy_out(&self, pos: u64, dst: &mut [u8]) {
        let cap = self.header().capacity;
        let off = (pos % cap) as usize;
        let first = dst.len().min(cap as usize - off);
        // SAFETY: as in `copy_in`; [pos, pos + len) holds a committed item
        // that only the lock holder may consume.
        unsafe {
            std::ptr::copy_nonoverlapping(self.data().add(off), dst.as_mut_ptr(), first);
            std::ptr::copy_nonoverlapping(
                self.data(),
                dst.as_mut_ptr().add(first),
                dst.len() - first,
            );
        }
    }

    /// Hand fully consumed 1 MiB chunks between `old_head` and `new_head`
    /// back to the kernel, unless the writer has already lapped into them.
    fn release(&self, _guard: &Guard<'_>, old_head: u64, new_head: u64, tail: u64) {
        let cap = self.header().capacity;
        for chunk in old_head / CHUNK..new_head / CHUNK {
            let start = chunk * CHUNK;
            if start + cap < tail {
                continue;
            }
            // SAFETY: the chunk lies inside the data space (cap is a multiple
            // of CHUNK) and holds no item: it is before the head, and the
            // tail has not wrapped into it. MADV_REMOVE frees the pages of a
            // shared anonymous mapping; they read as zeros afterwards. If the
            // kernel refuses, the memory simply stays in use, so the result
            // is not needed.
            unsafe {
                libc::madvise(
                    self.data().add((start % cap) as usize).cast(),
                    CHUNK as usize,
                    libc::MADV_REMOVE,
                );
            }
        }
    }

    /// Put one item's bytes (Python: `put(obj, block, timeout)`).
    pub fn put_bytes(&self, bytes: &[u8], block: Block) -> Result<(), PutError<()>> {
        if self.is_closed() {
            return Err(PutError::Closed(()));
        }
        let h = self.header();
        let frame = LEN_BYTES + bytes.len() as u64;
        if frame > h.capacity || bytes.len() > u32::MAX as usize {
            return Err(PutError::TooBig {
                item: (),
                size: bytes.len(),
                capacity: h.capacity as usize - LEN_BYTES as usize,
            });
        }
        let fits = |h: &Header| {
            let items = h.items.load(Ordering::Relaxed);
            let used = h.tail.load(Ordering::Relaxed) - h.head.load(Ordering::Relaxed);
            (h.maxsize == 0 || items < h.maxsize) && h.capacity - used >= frame
        };
        let deadline = block.deadline();
        let mut spun = false;
        let mut guard = self
            .lock()
            .map_err(|error| PutError::Os { item: (), error })?;
        loop {
            if fits(h) {
                let (head, tail) = (
                    h.head.load(Ordering::Relaxed),
                    h.tail.load(Ordering::Relaxed),
                );
                let items = h.items.load(Ordering::Relaxed);
                // Count the task before the item becomes visible, so the
                // count of unfinished tasks can never be too low.
                h.unfinished.fetch_add(1, Ordering::SeqCst);
                self.copy_in(tail, &(bytes.len() as u32).to_le_bytes());
                self.copy_in(tail + LEN_BYTES, bytes);
                self.commit(&guard, head, tail + frame, items + 1);
                drop(guard);
                h.not_empty.notify(false);
                return Ok(());
            }
            let Some(left) = deadline.left() else {
                return Err(PutError::Full(()));
            };
            if !spun {
                spun = true;
                drop(guard);
                self.spin_until(fits);
            } else {
                guard = self
                    .wait(&h.not_full, guard, left)
                    .map_err(|error| PutError::Os { item: (), error })?;
                continue;
            }
            guard = self
                .lock()
                .map_err(|error| PutError::Os { item: (), error })?;
        }
    }

    /// Take the oldest item's bytes into `buf`, replacing its contents
    /// (Python: `get(block, timeout)`).
    pub fn get_bytes(&self, buf: &mut Vec<u8>, block: Block) -> Result<(), GetError> {
        if self.is_closed() {
            return Err(GetError::Closed);
        }
        let h = self.header();
        let ready = |h: &Header| h.items.load(Ordering::Relaxed) > 0;
        let deadline = block.deadline();
        let mut spun = false;
        let mut guard = self.lock()?;
        loop {
            if ready(h) {
                let (head, tail) = (
                    h.head.load(Ordering::Relaxed),
                    h.tail.load(Ordering::Relaxed),
                );
                let items = h.items.load(Ordering::Relaxed);
                let mut len = [0u8; LEN_BYTES as usize];
                self.copy_out(head, &mut len);
                let len = u32::from_le_bytes(len) as usize;
                buf.clear();
                buf.resize(len, 0);
                self.copy_out(head + LEN_BYTES, buf);
                let new_head = head + LEN_BYTES + len as u64;
                self.commit(&guard, new_head, tail, items - 1);
                self.release(&guard, head, new_head, tail);
                drop(guard);
                h.not_full.notify(true);
                return Ok(());
            }
            let Some(left) = deadline.left() else {
                return Err(GetError::Empty);
            };
            if !spun {
                spun = true;
                drop(guard);
                self.spin_until(ready);
            } else {
                guard = self.wait(&h.not_empty, guard, left)?;
                continue;
            }
            guard = self.lock()?;
        }
    }

    /// Mark one item as done (Python: `JoinableQueue.task_done()`).
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let h = self.header();
        let mut count = h.unfinished.load(Ordering::SeqCst);
        loop {
            if count == 0 {
                return Err(TaskDoneError);
            }
            match h.unfinished.compare_exchange_weak(
                count,
                count - 1,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => break,
                Err(now) => count = now,
            }
        }
        if count == 1 {
            h.all_done.notify(true);
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
            if h.unfinished.load(Ordering::SeqCst) == 0 {
                return true;
            }
            h.all_done.waiters.fetch_add(1, Ordering::SeqCst);
            let seq = h.all_done.seq.load(Ordering::SeqCst);
            let done = h.unfinished.load(Ordering::SeqCst) == 0;
            let left = deadline.left();
            if !done && let Some(left) = left {
                futex_wait(&h.all_done.seq, seq, left);
            }
            h.all_done.waiters.fetch_sub(1, Ordering::SeqCst);
            if done {
                return true;
            }
            if left.is_none() {
                return h.unfinished.load(Ordering::SeqCst) == 0;
            }
        }
    }

    /// Items put and not yet marked done.
    pub fn unfinished_tasks(&self) -> usize {
        self.header().unfinished.load(Ordering::SeqCst) as usize
    }

    /// Items in the queue at this moment (a snapshot).
    pub fn qsize(&self) -> usize {
        self.header().items.load(Ordering::Acquire) as usize
    }

    /// Bytes the queued items take in the data space at this moment,
    /// including a 4-byte length per item (a snapshot).
    pub fn bytes_used(&self) -> usize {
        let h = self.header();
        let _guard = self.lock();
        (h.tail.load(Ordering::Relaxed) - h.head.load(Ordering::Relaxed)) as usize
    }

    /// The item limit given at creation; 0 means none.
    pub fn maxsize(&self) -> usize {
        self.header().maxsize as usize
    }

    /// Size of the data space in bytes.
    pub fn buffer_bytes(&self) -> usize {
        self.header().capacity as usize
    }

    /// How many times some process took the lock over from a process that
    /// died holding it (and repaired the queue).
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

    /// A process that dies while holding the lock (here: exits on purpose
    /// right after taking it) does not block anybody: the next `lock` gets
    /// EOWNERDEAD, repairs and carries on.
    #[test]
    fn lock_holder_death_is_recovered() {
        let q = RawQueue::new(0, MIN_BUFFER_BYTES).expect("queue");
        q.put_bytes(b"before", Block::No).expect("put");
        // SAFETY: the child only takes the lock and exits with _exit, which
        // is fine in a forked child of a multi-threaded process.
        match unsafe { libc::fork() } {
            0 => {
                let guard = q.lock();
                std::mem::forget(guard);
                // SAFETY: ends the child without running destructors.
                unsafe { libc::_exit(0) }
            }
            -1 => panic!("fork failed"),
            pid => {
                let mut status = 0;
                // SAFETY: waits for our own child.
                assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
            }
        }
        q.put_bytes(b"after", Block::For(Duration::from_secs(5)))
            .expect("put after the owner died");
        assert_eq!(q.recoveries(), 1);
        let mut buf = Vec::new();
        q.get_bytes(&mut buf, Block::No).expect("get");
        assert_eq!(buf, b"before");
        q.get_bytes(&mut buf, Block::No).expect("get");
        assert_eq!(buf, b"after");
    }

    /// A committed change whose process died before applying it is
    /// finished by the next lock holder.
    #[test]
    fn journal_is_replayed() {
        let q = RawQueue::new(0, MIN_BUFFER_BYTES).expect("queue");
        q.put_bytes(b"dish", Block::No).expect("put");
        let h = q.header();
        // SAFETY: see `lock_holder_death_is_recovered`; the child commits a
        // get in the journal only, as if killed right after the commit point.
        match unsafe { libc::fork() } {
            0 => {
                let guard = q.lock();
                h.journal.head.store(LEN_BYTES + 4, Ordering::Relaxed);
                h.journal.tail.store(LEN_BYTES + 4, Ordering::Relaxed);
                h.journal.items.store(0, Ordering::Relaxed);
                h.journal.valid.store(1, Ordering::Release);
                std::mem::forget(guard);
                // SAFETY: ends the child without running destructors.
                unsafe { libc::_exit(0) }
            }
            -1 => panic!("fork failed"),
            pid => {
                let mut status = 0;
                // SAFETY: waits for our own child.
                assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
            }
        }
        let mut buf = Vec::new();
        assert!(matches!(
            q.get_bytes(&mut buf, Block::No),
            Err(GetError::Empty)
        ));
        assert_eq!(q.qsize(), 0);
    }

    #[test]
    fn wraps_around_the_ring() {
        let q = RawQueue::new(0, MIN_BUFFER_BYTES).expect("queue");
        let item = vec![7u8; 300_000];
        let mut buf = Vec::new();
        for round in 0..20u8 {
            let mut item = item.clone();
            item[0] = round;
            q.put_bytes(&item, Block::No).expect("put");
            q.put_bytes(&item, Block::No).expect("put");
            q.get_bytes(&mut buf, Block::No).expect("get");
            assert_eq!(buf, item);
            q.get_bytes(&mut buf, Block::No).expect("get");
            assert_eq!(buf, item);
        }
    }
}
