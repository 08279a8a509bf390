//! Timelines of real runs (`--timeline FILE.svg` of `dishes` and
//! `backpressure`): the SVG is well-formed, has one lane per worker of the
//! run, one box per dish per step whose dish labels match the run's printed
//! log, drying never starts before washing ended, and time increases along
//! the axis. The recorded timelines the book shows (`book/src/timelines/`)
//! follow the same rules.

use std::collections::BTreeMap;
use std::path::PathBuf;

use washup_tests::{project_root, run_example};

/// One box of the picture.
#[derive(Debug, Clone)]
struct Shape {
    dish: String,
    step: String,
    lane: String,
    start: f64,
    end: f64,
}

/// What a timeline shows, after its structure was checked.
#[derive(Debug)]
struct Picture {
    /// Worker lanes, top to bottom.
    workers: Vec<String>,
    /// Rack lanes (one per rack place).
    rack_rows: usize,
    /// Every box.
    boxes: Vec<Shape>,
}

impl Picture {
    /// Dishes with a box of `step`, in the order that step started.
    fn dishes(&self, step: &str) -> Vec<String> {
        let mut of_step: Vec<&Shape> = self.boxes.iter().filter(|b| b.step == step).collect();
        of_step.sort_by(|a, b| a.start.total_cmp(&b.start));
        of_step.iter().map(|b| b.dish.clone()).collect()
    }
}

fn attr<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> &'a str {
    node.attribute(name)
        .unwrap_or_else(|| panic!("<{}> without {name}", node.tag_name().name()))
}

fn number(node: roxmltree::Node<'_, '_>, name: &str) -> f64 {
    attr(node, name)
        .parse()
        .unwrap_or_else(|e| panic!("{name} is not a number: {e}"))
}

fn has_class(node: roxmltree::Node<'_, '_>, class: &str) -> bool {
    node.attribute("class")
        .is_some_and(|c| c.split_whitespace().any(|c| c == class))
}

/// Parses `svg` and checks every structural rule; `what` names it in
/// failure messages.
fn check(svg: &str, what: &str) -> Picture {
    assert!(
        !svg.contains("\n\n"),
        "{what}: a blank line would end the HTML block when inlined in a page"
    );
    let doc = roxmltree::Document::parse(svg)
        .unwrap_or_else(|e| panic!("{what}: not well-formed XML: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg", "{what}: root element");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg"),
        "{what}: SVG namespace"
    );
    let dryers: usize = attr(root, "data-dryers").parse().expect("data-dryers");
    let places: usize = attr(root, "data-places").parse().expect("data-places");

    // Lanes: washer, dryer 1..=dryers, then rack places.
    let lanes: Vec<roxmltree::Node> = root
        .descendants()
        .filter(|n| has_class(*n, "wt-lane"))
        .collect();
    let workers: Vec<String> = lanes
        .iter()
        .filter(|l| attr(**l, "data-kind") == "worker")
        .map(|l| attr(*l, "data-lane").to_string())
        .collect();
    let expected: Vec<String> = std::iter::once("washer".to_string())
        .chain((1..=dryers).map(|n| format!("dryer {n}")))
        .collect();
    assert_eq!(workers, expected, "{what}: one lane per worker");
    let rack_rows = lanes
        .iter()
        .filter(|l| attr(**l, "data-kind") == "rack")
        .count();
    if places > 0 {
        assert_eq!(rack_rows, places, "{what}: one row per rack place");
    }
    assert_eq!(lanes.len(), workers.len() + rack_rows, "{what}: lane kinds");

    // The axis: ticks from 0, time and x increasing together.
    let ticks: Vec<(f64, f64)> = root
        .descendants()
        .filter(|n| has_class(*n, "wt-tick"))
        .map(|t| {
            let line = t
                .children()
                .find(|c| c.has_tag_name("line"))
                .expect("a tick has a line");
            (number(t, "data-ms"), number(line, "x1"))
        })
        .collect();
    assert!(ticks.len() >= 2, "{what}: an axis with ticks");
    assert_eq!(ticks[0].0, 0.0, "{what}: the axis starts at 0 ms");
    for pair in ticks.windows(2) {
        assert!(
            pair[1].0 > pair[0].0 && pair[1].1 > pair[0].1,
            "{what}: time increases along the axis: {pair:?}"
        );
    }
    let (ms_last, x_last) = ticks[ticks.len() - 1];
    let x_of = |ms: f64| ticks[0].1 + ms / ms_last * (x_last - ticks[0].1);

    // Boxes: in their lane, drawn where their time says, one per dish per step.
    let mut boxes = Vec::new();
    for lane in &lanes {
        let name = attr(*lane, "data-lane");
        for rect in lane.children().filter(|n| has_class(*n, "wt-box")) {
            let b = Shape {
                dish: attr(rect, "data-dish").to_string(),
                step: attr(rect, "data-step").to_string(),
                lane: attr(rect, "data-lane").to_string(),
                start: number(rect, "data-start-ms"),
                end: number(rect, "data-end-ms"),
            };
            assert_eq!(b.lane, name, "{what}: {b:?} drawn in its own lane");
            assert!(b.start >= 0.0 && b.start <= b.end, "{what}: {b:?} times");
            assert!(b.end <= ms_last + 1e-6, "{what}: {b:?} within the axis");
            assert!(
                (number(rect, "x") - x_of(b.start)).abs() < 0.1,
                "{what}: {b:?} drawn at its start time"
            );
            let lane_ok = match b.step.as_str() {
                "wash" | "wait" | "floor" => name == "washer",
                "dry" => name.starts_with("dryer "),
                "rack" => name.starts_with("rack "),
                other => panic!("{what}: unknown step {other}"),
            };
            assert!(lane_ok, "{what}: {b:?} in the wrong lane");
            boxes.push(b);
        }
    }
    let mut per_dish: BTreeMap<&str, BTreeMap<&str, Vec<&Shape>>> = BTreeMap::new();
    for b in &boxes {
        per_dish
            .entry(&b.dish)
            .or_default()
            .entry(&b.step)
            .or_default()
            .push(b);
    }
    for (dish, steps) in &per_dish {
        for (step, of_step) in steps {
            assert_eq!(of_step.len(), 1, "{what}: {dish} has one {step} box");
        }
        let wash = steps
            .get("wash")
            .unwrap_or_else(|| panic!("{what}: {dish} was never washed"))[0];
        let dried = steps.contains_key("dry");
        assert_eq!(
            dried,
            steps.contains_key("rack"),
            "{what}: {dish} dried if and only if it was on the rack"
        );
        assert!(
            !(dried && steps.contains_key("floor")),
            "{what}: {dish} both dried and on the floor"
        );
        for later in ["wait", "floor", "rack", "dry"] {
            if let Some(b) = steps.get(later) {
                assert!(
                    b[0].start >= wash.end,
                    "{what}: {dish} {later} starts before its washing ended"
                );
            }
        }
        if let (Some(rack), Some(dry)) = (steps.get("rack"), steps.get("dry")) {
            assert!(
                (rack[0].end - dry[0].start).abs() < 1e-6,
                "{what}: {dish} leaves the rack when a dryer takes it"
            );
        }
    }
    // Never more dishes on a bounded rack than it has places.
    if places > 0 {
        let mut events: Vec<(f64, i32)> = boxes
            .iter()
            .filter(|b| b.step == "rack")
            .flat_map(|b| [(b.start, 1), (b.end, -1)])
            .collect();
        events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut level = 0;
        for (_, change) in events {
            level += change;
            assert!(
                level <= places as i32,
                "{what}: more dishes on the rack than places"
            );
        }
    }
    Picture {
        workers,
        rack_rows,
        boxes,
    }
}

/// Runs `example` with `args` and `--timeline` into a temporary file;
/// returns the printed log and the picture's text.
fn record(example: &str, args: &[&str]) -> (String, String) {
    let path: PathBuf = std::env::temp_dir().join(format!(
        "washup-timeline-{}-{example}-{}.svg",
        std::process::id(),
        args.join("_")
    ));
    let path_text = path.to_str().expect("a UTF-8 temp path");
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--timeline", path_text]);
    let run = run_example(example, &all);
    assert_eq!(run.code, Some(0), "{example} {args:?}: {}", run.output);
    let svg = std::fs::read_to_string(&path).expect("the run wrote its timeline");
    std::fs::remove_file(&path).expect("remove the temporary timeline");
    (run.output, svg)
}

/// The dishes named by the log's lines `"{verb} X dish"`, in order.
fn logged(log: &str, verb: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| l.strip_prefix(verb)?.strip_suffix(" dish"))
        .map(|d| d.trim().to_string())
        .collect()
}

/// The number after `label` on a line of the log.
fn count(log: &str, label: &str) -> usize {
    log.lines()
        .find_map(|l| l.strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no line {label:?} in\n{log}"))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn dishes_with_one_dryer_matches_its_log() {
    let (log, svg) = record("dishes", &["--dishes", "6", "--dry-ms", "1"]);
    let picture = check(&svg, "dishes, one dryer");
    assert_eq!(picture.workers, ["washer", "dryer 1"]);
    assert_eq!(picture.dishes("wash"), logged(&log, "Washing"));
    // One dryer prints in the order it dries.
    assert_eq!(picture.dishes("dry"), logged(&log, "Drying"));
    assert_eq!(logged(&log, "Drying").len(), 6);
}

#[test]
fn dishes_with_two_dryers_and_overlap_matches_its_log() {
    let args = [
        "--dishes",
        "8",
        "--dryers",
        "2",
        "--rack",
        "2",
        "--overlap",
        "--dry-ms",
        "2",
    ];
    let (log, svg) = record("dishes", &args);
    let picture = check(&svg, "dishes, two dryers");
    assert_eq!(picture.workers, ["washer", "dryer 1", "dryer 2"]);
    assert_eq!(picture.rack_rows, 2);
    assert_eq!(picture.dishes("wash"), logged(&log, "Washing"));
    // Two dryers print in an order the scheduler picks: compare as sets.
    assert_eq!(
        sorted(picture.dishes("dry")),
        sorted(logged(&log, "Drying"))
    );
    assert_eq!(logged(&log, "Drying").len(), 8);
}

#[test]
fn backpressure_wait_matches_its_counts() {
    let args = [
        "--policy",
        "wait",
        "--dishes",
        "12",
        "--rack",
        "3",
        "--dish-kib",
        "1",
        "--dry-ms",
        "4",
    ];
    let (log, svg) = record("backpressure", &args);
    let picture = check(&svg, "backpressure --policy wait");
    assert_eq!(picture.workers, ["washer", "dryer 1", "dryer 2"]);
    let washed: Vec<String> = (1..=count(&log, "washed:"))
        .map(|n| n.to_string())
        .collect();
    assert_eq!(picture.dishes("wash"), washed, "dishes washed in order");
    assert_eq!(picture.dishes("dry").len(), count(&log, "dried:"));
    assert_eq!(picture.dishes("floor").len(), count(&log, "on the floor:"));
}

#[test]
fn backpressure_drop_shows_the_floor() {
    let (log, svg) = record("backpressure", &["--policy", "drop", "--dish-kib", "1"]);
    let picture = check(&svg, "backpressure --policy drop");
    let on_floor = count(&log, "on the floor:");
    assert!(on_floor > 0, "the dryers are on a break: some dishes fall");
    assert_eq!(picture.dishes("floor").len(), on_floor);
    assert_eq!(picture.dishes("dry").len(), count(&log, "dried:"));
    assert_eq!(picture.dishes("wash").len(), count(&log, "washed:"));
}

#[test]
fn recorded_timelines_in_the_book_follow_the_rules() {
    let dir = project_root().join("book/src/timelines");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("book/src/timelines exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "the book shows at least three timelines");
    for file in files {
        let svg = std::fs::read_to_string(&file).expect("read a timeline");
        let picture = check(&svg, &file.display().to_string());
        assert!(
            picture.boxes.iter().any(|b| b.step == "dry"),
            "{}: a recorded run dries dishes",
            file.display()
        );
    }
}
