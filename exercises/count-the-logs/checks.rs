//! Checks for "Count every log". The expected counts come from the book's
//! own explorer (`cargo run --example interleavings -- --all ...`), which
//! the book's tests check against the rules.

use exercise::all_logs;

fn lines(log: &[&str]) -> Vec<String> {
    log.iter().map(|l| l.to_string()).collect()
}

#[test]
fn the_chapters_example_has_two_logs_from_five_schedules() {
    let logs = all_logs(&["salad", "bread"], 1, 1);
    assert_eq!(
        logs.len(),
        2,
        "expected 2 different logs, got {}: {logs:#?}",
        logs.len()
    );
    let dry_first = lines(&[
        "Washing salad dish",
        "Drying salad dish",
        "Washing bread dish",
        "Drying bread dish",
    ]);
    let wash_first = lines(&[
        "Washing salad dish",
        "Washing bread dish",
        "Drying salad dish",
        "Drying bread dish",
    ]);
    assert_eq!(logs.get(&dry_first), Some(&1), "{logs:#?}");
    assert_eq!(logs.get(&wash_first), Some(&4), "{logs:#?}");
}

#[test]
fn counts_match_for_other_kitchens() {
    // (dishes, dryers, rack) -> (schedules, different logs), as the book's
    // explorer counts them (dryer numbers left out of the lines here).
    for (dishes, dryers, rack, schedules, different) in [
        (&["a", "b", "c"][..], 1, 1, 29, 5),
        (&["a", "b", "c"][..], 1, 3, 53, 5),
        (&["a", "b"][..], 2, 1, 28, 3),
    ] {
        let logs = all_logs(dishes, dryers, rack);
        let total: usize = logs.values().sum();
        assert_eq!(
            (total, logs.len()),
            (schedules, different),
            "{} dishes, {dryers} dryer(s), rack {rack}: (schedules, logs)",
            dishes.len()
        );
    }
}

#[test]
fn every_log_obeys_the_rules() {
    let dishes = ["a", "b", "c"];
    for (log, _) in all_logs(&dishes, 2, 2) {
        let washed: Vec<&String> = log.iter().filter(|l| l.starts_with("Washing")).collect();
        let expected: Vec<String> = dishes.iter().map(|d| format!("Washing {d} dish")).collect();
        assert_eq!(
            washed,
            expected.iter().collect::<Vec<_>>(),
            "washing order in {log:?}"
        );
        for dish in dishes {
            let wash = log
                .iter()
                .position(|l| *l == format!("Washing {dish} dish"));
            let dries: Vec<usize> = log
                .iter()
                .enumerate()
                .filter(|(_, l)| **l == format!("Drying {dish} dish"))
                .map(|(i, _)| i)
                .collect();
            assert_eq!(
                dries.len(),
                1,
                "{dish} dried {} times in {log:?}",
                dries.len()
            );
            assert!(
                wash < Some(dries[0]),
                "{dish} dried before washed in {log:?}"
            );
        }
    }
}

#[test]
fn one_dryer_never_dries_out_of_order() {
    for (log, _) in all_logs(&["a", "b", "c", "d"], 1, 2) {
        let dried: Vec<&String> = log.iter().filter(|l| l.starts_with("Drying")).collect();
        let mut sorted = dried.clone();
        sorted.sort();
        assert_eq!(dried, sorted, "one dryer dried out of order: {log:?}");
    }
}
