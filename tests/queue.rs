//! Behaviour of `washup::Queue`, `JoinableQueue` and `SimpleQueue`, one
//! test per behaviour, named after what a Python user expects; then stress
//! tests across processes and threads, dying consumers, and the guarantees
//! of the `dishes` and `backpressure` examples.
//!
//! Timing tolerance: a call with a timeout `t` returns after at least `t`
//! and before `t + SLACK` (the slack covers a loaded 2-core machine).
//!
//! (A process killed while *holding* the queue's lock is tested inside the
//! library, `src/queue/raw.rs`, where a test can take the lock directly.)

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, raise};
use washup::queue::{CreateError, GetError, PutError, TaskDoneError};
use washup::{JoinableQueue, Process, Queue, SimpleQueue};
use washup_tests::run_example;

const SLACK: Duration = Duration::from_millis(500);
const LIMIT: Duration = Duration::from_secs(30);

/// Start a process that runs `body`. Daemonic, so that a failed assertion
/// in the test (which drops its `Process` values while unwinding) ends the
/// children instead of waiting for them forever.
fn start(body: impl FnOnce() + 'static) -> Process {
    let mut p = Process::new(body).daemon(true);
    p.start().expect("start");
    p
}

/// Join a process and require a clean exit (a failed assert in the child
/// makes it exit with 1).
fn finish(mut p: Process) {
    assert!(p.join_timeout(LIMIT).expect("join"), "child hangs");
    assert_eq!(p.exitcode(), Some(0), "child failed");
}

/// [`finish`] for a process of a long run whose children count every item
/// they move in `progress`: it fails only when nothing has moved for
/// `LIMIT`, however long the whole run takes (a loaded machine only slows
/// it down; a hang stops the count).
fn finish_while_moving(mut p: Process, progress: &AtomicU64) {
    let mut seen = progress.load(Ordering::SeqCst);
    let mut since = Instant::now();
    while !p.join_timeout(Duration::from_secs(1)).expect("join") {
        let now = progress.load(Ordering::SeqCst);
        if now != seen {
            (seen, since) = (now, Instant::now());
        }
        assert!(
            since.elapsed() < LIMIT,
            "child hangs: no item moved for {LIMIT:?} ({seen} moved)"
        );
    }
    assert_eq!(p.exitcode(), Some(0), "child failed");
}

/// A counter in memory shared with forked children.
struct SharedCounter(*const AtomicU64);

impl SharedCounter {
    fn new() -> Self {
        // SAFETY: a fresh anonymous shared mapping of one page; zero bytes
        // are a valid AtomicU64. It is never unmapped (test process only).
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(ptr, libc::MAP_FAILED);
        SharedCounter(ptr.cast())
    }
    fn get(&self) -> &AtomicU64 {
        // SAFETY: see `new`; the mapping lives until the process ends.
        unsafe { &*self.0 }
    }
}

// ---------------------------------------------------------------- basics

#[test]
fn put_then_get_is_first_in_first_out() {
    let q: Queue<String> = Queue::new().unwrap();
    for dish in ["salad", "bread", "entree"] {
        q.put(dish.to_string()).unwrap();
    }
    assert_eq!(q.get().unwrap(), "salad");
    assert_eq!(q.get().unwrap(), "bread");
    assert_eq!(q.get().unwrap(), "entree");
}

#[test]
fn get_nowait_on_an_empty_queue_is_empty() {
    let q: Queue<u32> = Queue::new().unwrap();
    assert!(matches!(q.get_nowait(), Err(GetError::Empty)));
}

#[test]
fn put_nowait_on_a_full_queue_is_full_and_gives_the_item_back() {
    let q: Queue<String> = Queue::with_maxsize(1).unwrap();
    q.put_nowait("salad".into()).unwrap();
    match q.put_nowait("bread".into()) {
        Err(PutError::Full(dish)) => assert_eq!(dish, "bread"),
        other => panic!("expected Full, got {other:?}"),
    }
    assert_eq!(q.qsize(), 1);
}

#[test]
fn get_timeout_on_an_empty_queue_waits_then_is_empty() {
    let q: Queue<u32> = Queue::new().unwrap();
    let t = Duration::from_millis(100);
    let since = Instant::now();
    assert!(matches!(q.get_timeout(t), Err(GetError::Empty)));
    let took = since.elapsed();
    assert!(took >= t && took < t + SLACK, "took {took:?}");
}

#[test]
fn put_timeout_on_a_full_queue_waits_then_is_full() {
    let q: Queue<u32> = Queue::with_maxsize(2).unwrap();
    q.put(1).unwrap();
    q.put(2).unwrap();
    let t = Duration::from_millis(100);
    let since = Instant::now();
    assert!(matches!(q.put_timeout(3, t), Err(PutError::Full(3))));
    let took = since.elapsed();
    assert!(took >= t && took < t + SLACK, "took {took:?}");
}

#[test]
fn get_timeout_returns_the_item_put_by_another_process() {
    let q: Queue<u32> = Queue::new().unwrap();
    let (mut ready_r, mut ready_w) = std::io::pipe().unwrap();
    let q2 = q.clone();
    let child = start(move || {
        let mut byte = [0];
        ready_r.read_exact(&mut byte).unwrap();
        q2.put(42).unwrap();
    });
    ready_w.write_all(b"!").unwrap();
    assert_eq!(q.get_timeout(LIMIT).unwrap(), 42);
    finish(child);
}

/// The system call process `pid` (one thread) is in, as the kernel shows
/// it in /proc/PID/syscall: its number and arguments, or "running".
fn syscall(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default()
}

/// Waits (at most `LIMIT`) until process `pid` is blocked inside the
/// queue's wait: it is counted by `waiting` (the queue's count of
/// registered sleepers, which only a caller past its spinning and before
/// its futex sleep adds to) and the kernel shows it in the `futex` call,
/// the same call before and after that count was read.
fn until_blocked(pid: i32, waiting: impl Fn() -> usize) {
    let futex = format!("{} ", libc::SYS_futex);
    let since = Instant::now();
    loop {
        let before = syscall(pid);
        let counted = waiting() >= 1;
        if counted && before.starts_with(&futex) && syscall(pid) == before {
            return;
        }
        assert!(since.elapsed() < LIMIT, "pid {pid} never blocked: {before}");
        std::thread::yield_now();
    }
}

#[test]
fn blocking_get_wakes_up_when_another_process_puts() {
    let q: Queue<String> = Queue::new().unwrap();
    let q2 = q.clone();
    let child = start(move || assert_eq!(q2.get().unwrap(), "salad"));
    until_blocked(child.pid().unwrap(), || q.raw().waiting_getters());
    q.put("salad".into()).unwrap();
    finish(child);
}

#[test]
fn blocking_put_on_a_full_queue_wakes_up_when_another_process_gets() {
    let q: Queue<u32> = Queue::with_maxsize(1).unwrap();
    q.put(1).unwrap();
    let q2 = q.clone();
    let child = start(move || {
        q2.put(2).unwrap(); // waits for room
    });
    until_blocked(child.pid().unwrap(), || q.raw().waiting_putters());
    assert_eq!(q.qsize(), 1, "the child's item is not in yet");
    assert_eq!(q.get().unwrap(), 1);
    assert_eq!(q.get_timeout(LIMIT).unwrap(), 2);
    finish(child);
}

#[test]
fn qsize_empty_full_and_maxsize_describe_the_queue() {
    let q: Queue<u8> = Queue::with_maxsize(2).unwrap();
    assert_eq!(
        (q.qsize(), q.empty(), q.full(), q.maxsize()),
        (0, true, false, 2)
    );
    q.put(1).unwrap();
    assert_eq!((q.qsize(), q.empty(), q.full()), (1, false, false));
    q.put(2).unwrap();
    assert_eq!((q.qsize(), q.empty(), q.full()), (2, false, true));
    let unbounded: Queue<u8> = Queue::new().unwrap();
    assert_eq!(unbounded.maxsize(), 0);
    assert!(!unbounded.full());
}

#[test]
fn a_closed_handle_refuses_put_and_get() {
    let q: Queue<u8> = Queue::new().unwrap();
    q.put(1).unwrap();
    let other_thread = q.clone();
    q.close();
    assert!(q.is_closed() && other_thread.is_closed());
    assert!(matches!(q.put(2), Err(PutError::Closed(2))));
    assert!(matches!(other_thread.get(), Err(GetError::Closed)));
}

#[test]
fn closing_in_one_process_does_not_close_the_others() {
    let q: Queue<u8> = Queue::new().unwrap();
    let q2 = q.clone();
    let child = start(move || {
        q2.put(7).unwrap();
        q2.close();
        assert!(matches!(q2.put(8), Err(PutError::Closed(8))));
    });
    finish(child);
    assert!(!q.is_closed());
    assert_eq!(q.get_nowait().unwrap(), 7, "items put before close stay");
}

#[test]
fn task_done_more_often_than_put_is_an_error() {
    let q: JoinableQueue<u8> = JoinableQueue::new().unwrap();
    assert_eq!(q.task_done(), Err(TaskDoneError));
    q.put(1).unwrap();
    q.get().unwrap();
    assert_eq!(q.task_done(), Ok(()));
    assert_eq!(q.task_done(), Err(TaskDoneError));
    assert_eq!(q.unfinished_tasks(), 0);
}

#[test]
fn join_with_nothing_put_returns_at_once() {
    let q: JoinableQueue<u8> = JoinableQueue::new().unwrap();
    q.join();
    assert!(q.join_timeout(Duration::ZERO));
}

#[test]
fn join_timeout_is_false_while_a_task_is_unfinished() {
    let q: JoinableQueue<u8> = JoinableQueue::new().unwrap();
    q.put(1).unwrap();
    q.get().unwrap(); // taken, but not done
    let t = Duration::from_millis(100);
    let since = Instant::now();
    assert!(!q.join_timeout(t));
    let took = since.elapsed();
    assert!(took >= t && took < t + SLACK, "took {took:?}");
    q.task_done().unwrap();
    assert!(q.join_timeout(Duration::ZERO));
}

#[test]
fn join_waits_for_task_done_in_another_process() {
    let q: JoinableQueue<u32> = JoinableQueue::new().unwrap();
    let done = SharedCounter::new();
    let q2 = q.clone();
    let counter = done.0;
    let child = start(move || {
        let done = SharedCounter(counter);
        for _ in 0..100 {
            q2.get().unwrap();
            done.get().fetch_add(1, Ordering::SeqCst);
            q2.task_done().unwrap();
        }
    });
    for i in 0..100 {
        q.put(i).unwrap();
    }
    q.join();
    assert_eq!(done.get().load(Ordering::SeqCst), 100);
    finish(child);
}

/// `join` must never return while some item is not yet done: each consumer
/// counts an item in shared memory *before* its `task_done`, so when `join`
/// returns the count must already be complete. Many rounds, 2 consumers.
#[test]
fn join_never_returns_early() {
    let q: JoinableQueue<u32> = JoinableQueue::new().unwrap();
    let done = SharedCounter::new();
    let counter = done.0;
    let consumers: Vec<Process> = (0..2)
        .map(|_| {
            let q = q.clone();
            let mut p = Process::new(move || {
                let done = SharedCounter(counter);
                loop {
                    let item = q.get().unwrap();
                    if item == u32::MAX {
                        q.task_done().unwrap();
                        return;
                    }
                    done.get().fetch_add(1, Ordering::SeqCst);
                    q.task_done().unwrap();
                }
            });
            p.start().unwrap();
            p
        })
        .collect();
    let mut total = 0;
    for round in 1..=300u32 {
        for i in 0..round % 7 + 1 {
            q.put(i).unwrap();
            total += 1;
        }
        q.join();
        assert_eq!(done.get().load(Ordering::SeqCst), total, "round {round}");
    }
    q.put(u32::MAX).unwrap();
    q.put(u32::MAX).unwrap();
    consumers.into_iter().for_each(finish);
}

#[test]
fn items_larger_than_a_mebibyte_go_between_processes() {
    let q: Queue<Vec<u8>> = Queue::new().unwrap();
    let q2 = q.clone();
    let child = start(move || {
        for size in [1 << 20, 3 << 20, (5 << 20) + 17] {
            let item: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            q2.put(item).unwrap();
        }
    });
    for size in [1 << 20, 3 << 20, (5 << 20) + 17] {
        let item = q.get_timeout(LIMIT).unwrap();
        assert_eq!(item.len(), size);
        assert!(item.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
    }
    finish(child);
}

#[test]
fn an_item_larger_than_the_buffer_is_too_big() {
    let q: Queue<Vec<u8>> = Queue::with_buffer(0, 1 << 20).unwrap();
    match q.put(vec![1; 2 << 20]) {
        Err(PutError::TooBig {
            item,
            size,
            capacity,
        }) => {
            assert_eq!(item.len(), 2 << 20);
            assert!(size > capacity);
        }
        other => panic!("expected TooBig, got {other:?}"),
    }
}

/// The data space is rounded up to a power of two of at least 1 MiB, and
/// what cannot be had (more than 2 GiB) is refused, not cut down.
#[test]
fn with_buffer_rounds_up_to_a_power_of_two_and_refuses_more_than_2_gib() {
    const MIB: usize = 1 << 20;
    for (asked, got) in [
        (0, MIB),
        (MIB + 1, 2 * MIB),
        (3 * MIB, 4 * MIB),
        (2048 * MIB, 2048 * MIB),
    ] {
        let q: Queue<u8> = Queue::with_buffer(0, asked).unwrap();
        assert_eq!(q.raw().buffer_bytes(), got, "asked for {asked}");
    }
    for asked in [2048 * MIB + 1, 4096 * MIB, usize::MAX] {
        let refused = JoinableQueue::<u8>::with_buffer(0, asked).map(|_| ());
        assert_eq!(
            refused,
            Err(CreateError::BufferTooLarge {
                requested: asked,
                max: 2048 * MIB
            })
        );
    }
}

#[test]
fn a_full_buffer_counts_as_full() {
    let q: Queue<Vec<u8>> = Queue::with_buffer(0, 1 << 20).unwrap();
    q.put(vec![0; 600 << 10]).unwrap();
    assert!(matches!(
        q.put_nowait(vec![0; 600 << 10]),
        Err(PutError::Full(_))
    ));
    q.get().unwrap();
    q.put_nowait(vec![0; 600 << 10]).unwrap();
}

#[test]
fn bytes_of_another_type_are_a_decode_error() {
    let q: Queue<String> = Queue::new().unwrap();
    q.raw()
        .put_bytes(&[0xff, 0xff], washup::queue::Block::No)
        .unwrap();
    assert!(matches!(q.get(), Err(GetError::Decode(_))));
}

#[test]
fn simple_queue_puts_gets_and_reports_empty() {
    let q: SimpleQueue<String> = SimpleQueue::new().unwrap();
    assert!(q.empty());
    let q2 = q.clone();
    let child = start(move || q2.put("salad".into()).unwrap());
    assert_eq!(q.get().unwrap(), "salad");
    assert!(q.empty());
    q.close();
    assert!(matches!(q.get(), Err(GetError::Closed)));
    finish(child);
}

// ---------------------------------------------------------------- stress

/// Many producer and consumer processes on one queue. Producer `p` puts
/// `make(p, seq)` for every `seq` below `each`; each consumer gets items
/// until `stop`, hands every other item to its own copy of `check`, which
/// asserts what it must and returns the item's id, and reports the ids.
/// When the producers are done, one `stop` per consumer follows. Returns
/// every id reported, sorted. A consumer whose assertion failed has exited
/// with 1, and `finish` says so at once. Producers and consumers count what
/// they move, and a run counts as hung only when that count stands still.
fn exchange<T>(
    q: &Queue<T>,
    (producers, consumers, each): (u64, usize, u64),
    make: fn(u64, u64) -> T,
    stop: T,
    check: impl FnMut(T) -> u64 + Clone + 'static,
) -> Vec<u64>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + Clone + 'static,
{
    let reports: Queue<Vec<u64>> = Queue::new().unwrap();
    let moved = SharedCounter::new();
    let counter = moved.0;
    let consumer_processes: Vec<Process> = (0..consumers)
        .map(|_| {
            let (q, reports, stop, mut check) =
                (q.clone(), reports.clone(), stop.clone(), check.clone());
            start(move || {
                let moved = SharedCounter(counter);
                let mut got = Vec::new();
                loop {
                    let item = q.get().unwrap();
                    moved.get().fetch_add(1, Ordering::Relaxed);
                    if item == stop {
                        break;
                    }
                    got.push(check(item));
                }
                reports.put(got).unwrap();
            })
        })
        .collect();
    let producer_processes: Vec<Process> = (0..producers)
        .map(|p| {
            let q = q.clone();
            start(move || {
                let moved = SharedCounter(counter);
                for seq in 0..each {
                    q.put(make(p, seq)).unwrap();
                    moved.get().fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let finish = |p| finish_while_moving(p, moved.get());
    producer_processes.into_iter().for_each(finish);
    for _ in 0..consumers {
        q.put(stop.clone()).unwrap();
    }
    consumer_processes.into_iter().for_each(finish);
    let mut all: Vec<u64> = (0..consumers)
        .flat_map(|_| reports.get_timeout(LIMIT).unwrap())
        .collect();
    all.sort_unstable();
    all
}

/// 4 producer processes × 4 consumer processes, 100,000 items from each
/// producer: every item is received exactly once, and each consumer sees
/// each producer's items in the order they were put (FIFO).
#[test]
fn four_producers_four_consumers_every_item_exactly_once() {
    const PRODUCERS: u64 = 4;
    const EACH: u64 = 100_000;
    let q: Queue<u64> = Queue::with_maxsize(10_000).unwrap();
    let mut last = [None::<u64>; PRODUCERS as usize];
    let fifo = move |item: u64| {
        let (producer, seq) = ((item >> 32) as usize, item & 0xffff_ffff);
        assert!(last[producer].is_none_or(|l| l < seq), "FIFO per producer");
        last[producer] = Some(seq);
        item
    };
    let all = exchange(
        &q,
        (PRODUCERS, 4, EACH),
        |p, seq| (p << 32) | seq,
        u64::MAX,
        fifo,
    );
    let expected: Vec<u64> = (0..PRODUCERS)
        .flat_map(|p| (0..EACH).map(move |seq| (p << 32) | seq))
        .collect();
    assert_eq!(all.len(), expected.len(), "items lost or duplicated");
    assert!(all == expected, "a different multiset of items arrived");
}

/// Consumers take no lock: they read the oldest item, then claim it with a
/// compare-and-swap, and a consumer that loses the race may have read bytes
/// a producer was already reusing. Here a 2 MiB ring is lapped about 35
/// times by items of many sizes, 2 producer processes against 3 consumer
/// processes, so that race happens all the time: every item must still
/// arrive exactly once, whole, with every byte right.
#[test]
fn items_arrive_whole_while_a_small_ring_is_reused() {
    const PRODUCERS: u64 = 2;
    const EACH: u64 = 25_000;
    /// The bytes of item `id`: its id, then a length and pattern of its own.
    fn item(id: u64) -> Vec<u8> {
        let len = (id.wrapping_mul(7919) % 3000) as usize;
        let mut bytes = id.to_le_bytes().to_vec();
        bytes.extend((0..len).map(|i| (id.wrapping_mul(31) as usize + i * 17) as u8));
        bytes
    }
    let q: Queue<Vec<u8>> = Queue::with_buffer(0, 2 << 20).unwrap();
    assert_eq!(q.raw().buffer_bytes(), 2 << 20);
    let whole = |bytes: Vec<u8>| {
        let id = u64::from_le_bytes(bytes[..8].try_into().unwrap());
        assert!(bytes == item(id), "item {id} arrived damaged");
        id
    };
    let make = |p, seq| item(p * EACH + seq);
    let all = exchange(&q, (PRODUCERS, 3, EACH), make, Vec::new(), whole);
    assert_eq!(
        all.len() as u64,
        PRODUCERS * EACH,
        "items lost or duplicated"
    );
    assert!(all == (0..PRODUCERS * EACH).collect::<Vec<_>>());
    assert_eq!(q.bytes_used(), 0);
}

/// The same with threads of one process: 8 producers, 8 consumers, which
/// stop at a stop item each, put after every producer has finished.
#[test]
fn many_threads_put_and_get_every_item_exactly_once() {
    const STOP: u32 = u32::MAX;
    let q: JoinableQueue<u32> = JoinableQueue::with_maxsize(100).unwrap();
    let got: Vec<Vec<u32>> = std::thread::scope(|s| {
        let consumers: Vec<_> = (0..8)
            .map(|_| {
                let q = q.clone();
                s.spawn(move || {
                    let mut got = Vec::new();
                    loop {
                        let item = q.get().unwrap();
                        q.task_done().unwrap();
                        if item == STOP {
                            break got;
                        }
                        got.push(item);
                    }
                })
            })
            .collect();
        let producers: Vec<_> = (0..8u32)
            .map(|p| {
                let q = q.clone();
                s.spawn(move || (0..10_000).for_each(|i| q.put(p * 10_000 + i).unwrap()))
            })
            .collect();
        producers.into_iter().for_each(|p| p.join().unwrap());
        (0..8).for_each(|_| q.put(STOP).unwrap());
        consumers.into_iter().map(|c| c.join().unwrap()).collect()
    });
    assert!(q.join_timeout(Duration::ZERO), "every item was marked done");
    let mut all: Vec<u32> = got.into_iter().flatten().collect();
    all.sort_unstable();
    assert!(all == (0..80_000).collect::<Vec<_>>());
}

// ---------------------------------------------------------- dying workers

#[test]
fn a_consumer_killed_while_blocked_in_get_does_not_hang_the_others() {
    let q: JoinableQueue<u32> = JoinableQueue::new().unwrap();
    let q2 = q.clone();
    let mut victim = start(move || {
        let _ = q2.get(); // blocks: nothing is ever put before it dies
        std::process::abort();
    });
    until_blocked(victim.pid().unwrap(), || q.raw().waiting_getters());
    victim.kill().unwrap();
    victim.join().unwrap();
    assert_eq!(victim.exitcode(), Some(-9));

    let q3 = q.clone();
    let survivor = start(move || {
        for _ in 0..1000 {
            q3.get().unwrap();
            q3.task_done().unwrap();
        }
    });
    for i in 0..1000 {
        q.put(i).unwrap();
    }
    assert!(q.join_timeout(LIMIT), "join hangs after a consumer died");
    finish(survivor);
}

/// A consumer that dies after `get` and before `task_done` leaves one task
/// unfinished forever, as in Python: `join` would wait forever. The washer
/// notices (join_timeout, the dryer's exit code) and marks it done itself.
#[test]
fn a_consumer_killed_between_get_and_task_done_leaves_one_task_unfinished() {
    let q: JoinableQueue<String> = JoinableQueue::new().unwrap();
    q.put("salad".into()).unwrap();
    q.put("bread".into()).unwrap();
    let q2 = q.clone();
    let mut victim = start(move || {
        assert_eq!(q2.get().unwrap(), "salad");
        raise(Signal::SIGKILL).unwrap(); // dies holding the salad
    });
    victim.join().unwrap();
    assert_eq!(victim.exitcode(), Some(-9));
    assert_eq!(q.qsize(), 1, "the bread is still on the rack");
    assert_eq!(q.unfinished_tasks(), 2);

    assert_eq!(q.get().unwrap(), "bread", "the queue still works");
    q.task_done().unwrap();
    assert!(
        !q.join_timeout(Duration::from_millis(50)),
        "the salad is not done"
    );
    q.task_done().unwrap(); // on behalf of the dead dryer
    assert!(q.join_timeout(Duration::ZERO));
}

/// Many consumers, one killed at an arbitrary moment of a busy run: the
/// others still drain the queue, and nothing hangs.
#[test]
fn a_consumer_killed_mid_stream_does_not_stop_the_rest() {
    let q: Queue<u32> = Queue::with_maxsize(64).unwrap();
    let counted = SharedCounter::new();
    let counter = counted.0;
    let start_consumer = |q: Queue<u32>| {
        start(move || {
            let counted = SharedCounter(counter);
            while q.get().unwrap() != u32::MAX {
                counted.get().fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let mut victim = start_consumer(q.clone());
    let survivor = start_consumer(q.clone());
    for i in 0..50_000 {
        q.put(i).unwrap();
        if i == 20_000 {
            victim.kill().unwrap();
        }
    }
    q.put(u32::MAX).unwrap();
    finish(survivor);
    victim.join().unwrap();
    assert_eq!(victim.exitcode(), Some(-9), "killed, not failed before");
    // Both count every item they take; the victim may have died between a
    // `get` and its count, so at most one item goes uncounted.
    let counted = counted.get().load(Ordering::SeqCst);
    assert!(
        (49_999..=50_000).contains(&counted),
        "counted {counted} of 50,000 items"
    );
    assert!(q.empty());
}

// ------------------------------------------------------ the book's programs

fn lines(output: &str) -> Vec<&str> {
    output.lines().collect()
}

#[test]
fn dishes_prints_the_lessons_eight_lines() {
    let run = run_example("dishes", &[]);
    assert_eq!(run.code, Some(0));
    let expected: Vec<String> = ["Washing", "Drying"]
        .iter()
        .flat_map(|verb| {
            ["salad", "bread", "entree", "dessert"].map(|d| format!("{verb} {d} dish"))
        })
        .collect();
    assert_eq!(lines(&run.output), expected);
}

/// Check what the chapter promises, on a run where washing and drying
/// overlap: every dish dried exactly once, after its Washing line, and, with
/// one dryer, in washing order.
fn check_dishes_guarantees(dryers: &str) {
    let run = run_example(
        "dishes",
        &["--overlap", "--dishes", "8", "--dryers", dryers],
    );
    assert_eq!(run.code, Some(0), "{}", run.output);
    let mut washed_at = BTreeMap::new();
    let mut washed = Vec::new();
    let mut dried = Vec::new();
    for (at, line) in run.output.lines().enumerate() {
        if let Some(dish) = line.strip_prefix("Washing ") {
            washed_at.insert(dish, at);
            washed.push(dish);
        } else if let Some(dish) = line.strip_prefix("Drying ") {
            let washed = washed_at.get(dish);
            assert!(
                washed.is_some_and(|w| *w < at),
                "dried before washed: {line}"
            );
            dried.push(dish);
        } else {
            panic!("unexpected line {line:?}");
        }
    }
    assert_eq!(washed.len(), 8);
    if dryers == "1" {
        assert_eq!(dried, washed, "one dryer dries in washing order");
    }
    let mut sorted = dried.clone();
    sorted.sort();
    let mut expected = washed.clone();
    expected.sort();
    assert_eq!(sorted, expected, "each dish dried exactly once");
}

#[test]
fn dishes_guarantees_hold_over_many_runs_with_one_dryer() {
    (0..50).for_each(|_| check_dishes_guarantees("1"));
}

#[test]
fn dishes_guarantees_hold_over_many_runs_with_two_dryers() {
    (0..50).for_each(|_| check_dishes_guarantees("2"));
}

#[test]
fn dishes_refuses_a_small_rack_without_overlap() {
    let run = run_example("dishes", &["--rack", "2"]);
    assert_eq!(run.code, Some(2));
}

fn summary(args: &[&str]) -> BTreeMap<String, String> {
    let run = run_example("backpressure", args);
    assert_eq!(run.code, Some(0), "{}", run.output);
    run.output
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[test]
fn backpressure_drop_loses_exactly_what_finds_no_place() {
    let s = summary(&["--policy", "drop", "--dishes", "10", "--rack", "4"]);
    assert_eq!(s["on the floor"], "6");
    assert_eq!(s["dried"], "4");
    assert_eq!(s["lost"], "0");
}

#[test]
fn backpressure_pile_keeps_every_dish_on_the_rack() {
    let s = summary(&["--policy", "pile", "--dishes", "10", "--dish-kib", "100"]);
    assert_eq!(s["on the floor"], "0");
    assert_eq!(s["dried"], "10");
    assert!(s["rack held at most"].starts_with("10 dishes, 1000 KiB"));
}

/// What would hang or exhaust the machine is refused with exit status 2
/// and a message, before any work starts.
#[test]
fn backpressure_refuses_what_cannot_end() {
    for (args, says) in [
        (&["--rack", "0"][..], "0 is not in 1..=1000"),
        (&["--dish-kib", "99999999999"], "not in 0..=524288"),
        (
            &["--policy", "pile", "--dishes", "10000", "--dish-kib", "64"],
            "more than this program's 512 MiB",
        ),
        (&["--dishes", "10001"], "not in 0..=10000"),
        (
            &["--policy", "wait", "--put-timeout-ms", "5"],
            "--put-timeout-ms is for --policy drop",
        ),
        (&["--policy", "pile", "--rack", "3"], "a pile has no limit"),
        (
            &["--policy", "wait", "--overlap"],
            "the dryers always work alongside",
        ),
        (
            &["--policy", "wait", "--get-timeout-ms", "50"],
            "wait forever",
        ),
        (
            &["--timeline", "/nonexistent/folder/run.svg"],
            "cannot write it",
        ),
    ] {
        let run = run_example("backpressure", args);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.output);
        assert!(run.output.contains(says), "{args:?}: {}", run.output);
    }
    let run = run_example("dishes", &["--timeline", "/nonexistent/folder/run.svg"]);
    assert_eq!(run.code, Some(2), "{}", run.output);
}

/// Dryers that guess (a timeout on `get`) with the washer's notes gone:
/// with the dryers on a break until every dish is on the rack, the rack
/// empties only when every dish is taken, so the guess is right here.
#[test]
fn backpressure_dryers_that_guess_still_dry_a_full_rack() {
    let s = summary(&[
        "--policy",
        "pile",
        "--dishes",
        "20",
        "--dryers",
        "3",
        "--get-timeout-ms",
        "50",
    ]);
    assert_eq!(s["dried"], "20");
    assert_eq!(s["lost"], "0");
}

#[test]
fn backpressure_wait_dries_every_dish_within_the_rack() {
    let s = summary(&[
        "--policy", "wait", "--dishes", "30", "--rack", "2", "--dryers", "3",
    ]);
    assert_eq!(s["on the floor"], "0");
    assert_eq!(s["dried"], "30");
    assert_eq!(s["rack within its 2 places"], "true");
}
