//! Checks for "Count every schedule". The small kitchens are compared with
//! the chapter's way, trying every schedule one by one; the big ones with
//! counts computed once by the reference solution (trying them one by one
//! would take years).

mod support;

use std::time::Duration;

use crossbeam_channel::RecvTimeoutError;

use exercise::{World, count_schedules};

const NAMES: [&str; 12] = [
    "salad", "bread", "entree", "soup", "pan", "pot", "cup", "mug", "fork", "knife", "spoon",
    "bowl",
];

/// The chapter's explorer, counting: every schedule, one by one.
fn one_by_one(world: &World) -> u128 {
    if world.finished() {
        return 1;
    }
    world
        .choices()
        .into_iter()
        .map(|who| {
            let mut next = world.clone();
            next.step(who);
            one_by_one(&next)
        })
        .sum()
}

#[test]
fn the_chapters_kitchens_have_5_29_and_53_schedules() {
    let _verdict = support::Verdict::on_return();
    for (dishes, dryers, rack, schedules) in
        [(2, 1, 1, 5), (3, 1, 1, 29), (3, 1, 3, 53), (2, 2, 1, 28)]
    {
        assert_eq!(
            count_schedules(&NAMES[..dishes], dryers, rack),
            schedules,
            "{dishes} dishes, {dryers} dryer(s), a rack for {rack}"
        );
    }
}

#[test]
fn small_kitchens_match_the_explorer() {
    let _verdict = support::Verdict::on_return();
    for dishes in 0..=3 {
        for dryers in 1..=3 {
            for rack in 0..=3 {
                let expected = one_by_one(&World::new(&NAMES[..dishes], dryers, rack));
                assert_eq!(
                    count_schedules(&NAMES[..dishes], dryers, rack),
                    expected,
                    "{dishes} dishes, {dryers} dryer(s), a rack for {rack}"
                );
            }
        }
    }
}

#[test]
fn a_stuck_run_is_not_a_schedule() {
    let _verdict = support::Verdict::on_return();
    assert_eq!(
        count_schedules(&[], 2, 1),
        1,
        "no dishes: one schedule, the empty one"
    );
    for dishes in 1..=3 {
        assert_eq!(
            count_schedules(&NAMES[..dishes], 1, 0),
            0,
            "{dishes} dish(es) and a rack with no place: the washer can never put a dish down, no run ends"
        );
    }
}

#[test]
fn big_kitchens_are_counted_in_time() {
    let _verdict = support::Verdict::on_return();
    let kitchens: [(usize, usize, usize, u128); 4] = [
        (8, 2, 2, 87_884_377_344),
        (9, 3, 3, 4_501_798_008_320_619),
        (10, 3, 2, 134_425_108_366_272_000),
        (12, 3, 2, 988_936_822_757_300_981_760),
    ];
    let (counted, counts) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        for (dishes, dryers, rack, _) in kitchens {
            let _ = counted.send(count_schedules(&NAMES[..dishes], dryers, rack));
        }
    });
    for (dishes, dryers, rack, expected) in kitchens {
        // Counting each position once takes milliseconds; 5 s only turns
        // "years" into a clear failure.
        let count = match counts.recv_timeout(Duration::from_secs(5)) {
            Ok(count) => count,
            Err(RecvTimeoutError::Timeout) => panic!(
                "{dishes} dishes, {dryers} dryers, a rack for {rack}: still counting after 5 s \
                 (are you trying every schedule? count each position once)"
            ),
            Err(RecvTimeoutError::Disconnected) => panic!(
                "{dishes} dishes, {dryers} dryers, a rack for {rack}: count_schedules panicked \
                 (an overflow? the counts pass 2^64: add them as u128)"
            ),
        };
        assert_eq!(
            count, expected,
            "{dishes} dishes, {dryers} dryers, a rack for {rack}"
        );
    }
}
