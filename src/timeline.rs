//! Timelines of real runs: when each dish was washed, waited on the rack
//! and was dried, drawn as an SVG picture.
//!
//! Python has no ready-made counterpart; the nearest is stamping each step
//! with `time.monotonic()` in every process and sending the stamps back on
//! a `multiprocessing.Queue`. We do the same: [`now`] reads the system-wide
//! monotonic clock (`CLOCK_MONOTONIC`), which every process on the machine
//! shares, so a stamp taken in a dryer process can be compared with one
//! taken in the washer.
//!
//! ```
//! use washup::timeline::{Timeline, now};
//!
//! let mut timeline = Timeline::new("one dish", 1, 0);
//! let washing = now();
//! let putting = now(); // ... wash, then put the dish on the rack
//! timeline.washed("salad", washing, putting, now(), false);
//! let taken = now(); // a dryer takes it, dries it ...
//! timeline.dried(("salad".to_string(), 1, taken, now()));
//! let svg = timeline.to_svg();
//! assert!(svg.starts_with("<svg"));
//! ```
//!
//! The picture has one lane per worker (`washer`, `dryer 1`, ...), one row
//! per rack place, and a box per dish per step: washing, waiting for room
//! (the washer is blocked because the rack is full), on the rack, drying,
//! and on the floor (a dish the washer gave up on). Times run left to right
//! on an axis in milliseconds.
//!
//! The SVG is meant to be inlined into a book page: it has no blank line
//! (Markdown would end the HTML block there), its text is drawn in
//! `currentColor`, and its fills are half-transparent colours that can be
//! overridden with the CSS custom properties `--wt-wash`, `--wt-wait`,
//! `--wt-rack`, `--wt-dry` and `--wt-floor`, so it reads well on light and
//! dark page themes. Every box carries `data-dish`, `data-step`,
//! `data-lane`, `data-start-ms` and `data-end-ms` attributes, so tests can
//! check it without guessing from pixels.

use std::fmt::Write as _;
use std::time::Duration;

use nix::time::{ClockId, clock_gettime};

/// A moment on the system-wide monotonic clock, in microseconds.
pub type Micros = u64;

/// What a dryer reports for one dish: the dish, the dryer's number (from
/// 1), when it took the dish off the rack and when the dish was dry.
pub type Dried = (String, usize, Micros, Micros);

/// Now, on the clock that every process of the machine shares
/// (`CLOCK_MONOTONIC`; Python: `time.monotonic()`), in microseconds.
///
/// Reading this clock cannot fail on Linux (the call only fails for an
/// unknown clock); if it ever did, the result would be 0.
pub fn now() -> Micros {
    clock_gettime(ClockId::CLOCK_MONOTONIC).map_or(0, |t| {
        let since = Duration::from(t);
        u64::try_from(since.as_micros()).unwrap_or(u64::MAX)
    })
}

/// Checks a `--timeline FILE.svg` argument before the run starts, by
/// creating the file (empty until [`Timeline::write`] fills it): a path
/// that cannot be written is refused up front, with the reason, instead of
/// failing after the whole run. Made for clap's `value_parser`.
pub fn writable_file(path: &str) -> Result<std::path::PathBuf, String> {
    std::fs::File::create(path)
        .map(|_| std::path::PathBuf::from(path))
        .map_err(|e| format!("cannot write it: {e}"))
}

/// The command line that made this run, as `cargo run --example NAME --
/// ARGS`, leaving out `--timeline FILE`: a caption for the picture.
pub fn command_line(example: &str) -> String {
    let mut words = vec![format!("cargo run --example {example}")];
    let mut args = std::env::args().skip(1);
    let mut rest = Vec::new();
    while let Some(arg) = args.next() {
        if arg == "--timeline" {
            args.next();
        } else if !arg.starts_with("--timeline=") {
            rest.push(arg);
        }
    }
    if !rest.is_empty() {
        words.push("--".to_string());
        words.extend(rest);
    }
    words.join(" ")
}

/// One step of a dish's way through the kitchen, as drawn on the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The washer washes the dish.
    Wash,
    /// The washer holds the washed dish, waiting for room on a full rack.
    Wait,
    /// The dish waits on the rack for a dryer.
    Rack,
    /// A dryer dries the dish.
    Dry,
    /// The washer gave up and the dish fell on the floor.
    Floor,
}

impl Step {
    /// The step's name in the SVG (`data-step`, CSS class `wt-NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Step::Wash => "wash",
            Step::Wait => "wait",
            Step::Rack => "rack",
            Step::Dry => "dry",
            Step::Floor => "floor",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Step::Wash => "washing",
            Step::Wait => "waiting for room",
            Step::Rack => "on the rack",
            Step::Dry => "drying",
            Step::Floor => "on the floor",
        }
    }
}

/// One box of the picture: a dish in one step, in one lane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The dish.
    pub dish: String,
    /// What happened to it.
    pub step: Step,
    /// The lane: `washer`, `dryer N` or `rack N` (a rack place).
    pub lane: String,
    /// When it started.
    pub start: Micros,
    /// When it ended.
    pub end: Micros,
}

#[derive(Debug, Clone)]
struct Dish {
    name: String,
    washing: Micros,
    putting: Micros,
    /// When the put returned (the dish is on the rack), or the washer gave up.
    put: Micros,
    waited: bool,
    on_floor: bool,
    dried: Option<(usize, Micros, Micros)>,
}

/// The record of one run: what the washer and the dryers reported.
///
/// Build it as the run goes ([`Timeline::washed`], [`Timeline::dropped`],
/// [`Timeline::dried`]), then draw it with [`Timeline::to_svg`].
#[derive(Debug, Clone)]
pub struct Timeline {
    title: String,
    dryers: usize,
    places: usize,
    dishes: Vec<Dish>,
}

impl Timeline {
    /// An empty timeline for one washer, `dryers` dryers and a rack with
    /// `places` places (0: no limit). `title` is shown above the picture.
    pub fn new(title: impl Into<String>, dryers: usize, places: usize) -> Timeline {
        Timeline {
            title: title.into(),
            dryers,
            places,
            dishes: Vec::new(),
        }
    }

    /// The washer washed `dish` from `washing` to `putting`, then put it on
    /// the rack; the put returned at `on_rack`. `rack_was_full` says the
    /// washer found the rack full and so waited for room meanwhile.
    pub fn washed(
        &mut self,
        dish: &str,
        washing: Micros,
        putting: Micros,
        on_rack: Micros,
        rack_was_full: bool,
    ) {
        self.dishes.push(Dish {
            name: dish.to_string(),
            washing,
            putting,
            put: on_rack,
            waited: rack_was_full,
            on_floor: false,
            dried: None,
        });
    }

    /// The washer washed `dish` from `washing` to `putting`, found no room
    /// and gave up at `gave_up`: the dish is on the floor.
    pub fn dropped(&mut self, dish: &str, washing: Micros, putting: Micros, gave_up: Micros) {
        self.dishes.push(Dish {
            name: dish.to_string(),
            washing,
            putting,
            put: gave_up,
            waited: false,
            on_floor: true,
            dried: None,
        });
    }

    /// A dryer's report: it took the dish and dried it. Matched with the
    /// first washed dish of that name not yet dried; a report for a dish
    /// that was never washed is ignored.
    pub fn dried(&mut self, (dish, dryer, taken, done): Dried) {
        if let Some(d) = self
            .dishes
            .iter_mut()
            .find(|d| d.name == dish && !d.on_floor && d.dried.is_none())
        {
            d.dried = Some((dryer, taken, done));
        }
    }

    /// Every box of the picture, rack places assigned (the lowest free
    /// place first), in the order the dishes were washed.
    pub fn spans(&self) -> Vec<Span> {
        let mut spans = Vec::new();
        let mut place_free_at: Vec<Micros> = Vec::new();
        for d in &self.dishes {
            let span = |step: Step, lane: String, start: Micros, end: Micros| Span {
                dish: d.name.clone(),
                step,
                lane,
                start,
                end: end.max(start),
            };
            spans.push(span(Step::Wash, "washer".into(), d.washing, d.putting));
            if d.on_floor {
                spans.push(span(Step::Floor, "washer".into(), d.putting, d.put));
                continue;
            }
            if d.waited {
                spans.push(span(Step::Wait, "washer".into(), d.putting, d.put));
            }
            let Some((dryer, taken, done)) = d.dried else {
                continue;
            };
            // The dryer may wake with the dish a moment before the washer's
            // `put` has returned: the dish was on the rack from then on.
            let mut on_rack = d.put.min(taken);
            let place = match place_free_at.iter().position(|&free| free <= on_rack) {
                Some(p) => p,
                // Every place of a bounded rack is taken: the put returned
                // because a dryer took a dish, though the dryer may have
                // read the clock a moment after the washer did. The dish
                // came on the rack when that place was freed.
                None if self.places > 0 && place_free_at.len() >= self.places => {
                    let (p, &free) = place_free_at
                        .iter()
                        .enumerate()
                        .min_by_key(|&(_, free)| *free)
                        .unwrap_or((0, &on_rack));
                    on_rack = free.min(taken);
                    p
                }
                None => {
                    place_free_at.push(0);
                    place_free_at.len() - 1
                }
            };
            place_free_at[place] = taken;
            spans.push(span(
                Step::Rack,
                format!("rack {}", place + 1),
                on_rack,
                taken,
            ));
            spans.push(span(Step::Dry, format!("dryer {dryer}"), taken, done));
        }
        spans
    }

    /// The picture, as SVG text (one line per element, no blank line).
    pub fn to_svg(&self) -> String {
        let spans = self.spans();
        let t0 = spans.iter().map(|s| s.start).min().unwrap_or(0);
        let last = spans.iter().map(|s| s.end).max().unwrap_or(0);
        let total_ms = ((last - t0) as f64 / 1e3).max(0.001);
        let tick = nice_step(total_ms / 6.0);
        let axis_ms = (total_ms / tick).ceil() * tick;

        let used_places = spans
            .iter()
            .filter(|s| s.step == Step::Rack)
            .map(|s| s.lane.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let rack_rows = used_places.max(self.places).max(1);
        let mut lanes: Vec<(String, &str)> = vec![("washer".into(), "worker")];
        lanes.extend((1..=self.dryers).map(|n| (format!("dryer {n}"), "worker")));
        lanes.extend((1..=rack_rows).map(|n| (format!("rack {n}"), "rack")));

        let (left, right, top, row) = (80.0, 20.0, 44.0, 26.0);
        let width = 760.0;
        let plot = width - left - right;
        let height = top + row * lanes.len() as f64 + 64.0;
        let x = |t: Micros| left + ((t - t0) as f64 / 1e3) / axis_ms * plot;
        let y = |lane: &str| {
            let i = lanes.iter().position(|(l, _)| l == lane).unwrap_or(0);
            top + row * i as f64
        };

        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="wt" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{}" data-dryers="{}" data-places="{}">"#,
            esc(&self.title),
            self.dryers,
            self.places
        );
        let _ = writeln!(s, "<title>{}</title>", esc(&self.title));
        s.push_str(STYLE);
        let _ = writeln!(
            s,
            r#"<text class="wt-title" x="{left}" y="18">{}</text>"#,
            esc(&self.title)
        );
        // A pale band wherever a bounded rack is full.
        if self.places > 0 {
            for (from, to) in full_intervals(&spans, self.places) {
                let _ = writeln!(
                    s,
                    r#"<rect class="wt-full" x="{:.2}" y="{}" width="{:.2}" height="{}"><title>rack full</title></rect>"#,
                    x(from),
                    top - 4.0,
                    x(to) - x(from),
                    row * lanes.len() as f64 + 4.0
                );
            }
        }
        for (lane, kind) in &lanes {
            let ly = y(lane);
            let _ = writeln!(
                s,
                r#"<g class="wt-lane" data-lane="{lane}" data-kind="{kind}">"#
            );
            let _ = writeln!(
                s,
                r#"<line class="wt-grid" x1="{left}" x2="{}" y1="{ly2}" y2="{ly2}"/>"#,
                left + plot,
                ly2 = ly + row - 0.5
            );
            let _ = writeln!(
                s,
                r#"<text class="wt-name" x="{}" y="{}">{lane}</text>"#,
                left - 8.0,
                ly + 17.0
            );
            for sp in spans.iter().filter(|sp| &sp.lane == lane) {
                let (x0, x1) = (x(sp.start), x(sp.end));
                let w = (x1 - x0).max(1.0);
                let (from, to) = ((sp.start - t0) as f64 / 1e3, (sp.end - t0) as f64 / 1e3);
                let _ = writeln!(
                    s,
                    r#"<rect class="wt-box wt-{step}" x="{x0:.2}" y="{}" width="{w:.2}" height="{}" data-dish="{dish}" data-step="{step}" data-lane="{lane}" data-start-ms="{from:.3}" data-end-ms="{to:.3}"><title>{dish}: {words}, {from:.1}–{to:.1} ms</title></rect>"#,
                    ly + 3.0,
                    row - 6.0,
                    step = sp.step.name(),
                    dish = esc(&sp.dish),
                    words = sp.step.words(),
                );
                // A label only where it fits (about 6.5 px per letter).
                if w >= 6.5 * sp.dish.chars().count() as f64 + 4.0 {
                    let _ = writeln!(
                        s,
                        r#"<text class="wt-dish" x="{:.2}" y="{}">{}</text>"#,
                        x0 + w / 2.0,
                        ly + 17.0,
                        esc(&sp.dish)
                    );
                }
            }
            s.push_str("</g>\n");
        }
        // The time axis.
        let ay = top + row * lanes.len() as f64 + 6.0;
        let _ = writeln!(s, r#"<g class="wt-axis" data-unit="ms">"#);
        let _ = writeln!(
            s,
            r#"<line class="wt-rule" x1="{left}" x2="{}" y1="{ay}" y2="{ay}"/>"#,
            left + plot
        );
        let ticks = (axis_ms / tick).round() as usize;
        for i in 0..=ticks {
            let ms = tick * i as f64;
            let tx = left + ms / axis_ms * plot;
            let _ = writeln!(
                s,
                r#"<g class="wt-tick" data-ms="{}"><line class="wt-rule" x1="{tx:.2}" x2="{tx:.2}" y1="{ay}" y2="{}"/><text x="{tx:.2}" y="{}">{} ms</text></g>"#,
                fmt_ms(ms),
                ay + 5.0,
                ay + 18.0,
                fmt_ms(ms)
            );
        }
        s.push_str("</g>\n");
        // The legend.
        let ly = ay + 40.0;
        let mut lx = left;
        let _ = writeln!(s, r#"<g class="wt-legend">"#);
        for step in [Step::Wash, Step::Wait, Step::Rack, Step::Dry, Step::Floor] {
            let _ = writeln!(
                s,
                r#"<rect class="wt-key wt-{}" x="{lx}" y="{}" width="14" height="12"/><text x="{}" y="{ly}">{}</text>"#,
                step.name(),
                ly - 10.0,
                lx + 19.0,
                step.words()
            );
            lx += 28.0 + 7.0 * step.words().len() as f64;
        }
        if self.places > 0 {
            let _ = writeln!(
                s,
                r#"<rect class="wt-key wt-full" x="{lx}" y="{}" width="14" height="12"/><text x="{}" y="{ly}">rack full</text>"#,
                ly - 10.0,
                lx + 19.0
            );
        }
        s.push_str("</g>\n</svg>\n");
        s
    }

    /// Writes [`Timeline::to_svg`] to `path`.
    pub fn write(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<()> {
        std::fs::write(path, self.to_svg())
    }
}

/// Colours: text and lines in the page's colour, boxes in half-transparent
/// fills that a page may override with CSS custom properties.
const STYLE: &str = "<style>\
svg.wt{max-width:100%;height:auto;color:inherit;font-family:sans-serif;font-size:12px}\
svg.wt text{fill:currentColor}\
svg.wt .wt-title{font-weight:bold}\
svg.wt .wt-name{text-anchor:end}\
svg.wt .wt-dish,svg.wt .wt-tick text{text-anchor:middle}\
svg.wt .wt-grid{stroke:currentColor;stroke-opacity:.15}\
svg.wt .wt-rule{stroke:currentColor;stroke-opacity:.7}\
svg.wt .wt-box,svg.wt .wt-key{stroke:currentColor;stroke-opacity:.55;stroke-width:.6;fill-opacity:.6}\
svg.wt .wt-wash{fill:var(--wt-wash,#3b82f6)}\
svg.wt .wt-wait{fill:var(--wt-wait,#ef4444);stroke-dasharray:3 2}\
svg.wt .wt-rack{fill:var(--wt-rack,#f59e0b)}\
svg.wt .wt-dry{fill:var(--wt-dry,#10b981)}\
svg.wt .wt-floor{fill:var(--wt-floor,#a855f7)}\
svg.wt .wt-full{fill:var(--wt-wait,#ef4444);fill-opacity:.18;stroke:none}\
</style>\n";

/// Where exactly `places` dishes are on the rack at once.
fn full_intervals(spans: &[Span], places: usize) -> Vec<(Micros, Micros)> {
    let mut events: Vec<(Micros, i32)> = Vec::new();
    for sp in spans.iter().filter(|sp| sp.step == Step::Rack) {
        events.push((sp.start, 1));
        events.push((sp.end, -1));
    }
    // Leaving before arriving at the same moment.
    events.sort();
    let (mut level, mut since, mut out) = (0usize, 0, Vec::new());
    for (t, change) in events {
        let was_full = level >= places;
        level = if change > 0 {
            level + 1
        } else {
            level.saturating_sub(1)
        };
        match (was_full, level >= places) {
            (false, true) => since = t,
            (true, false) if t > since => match out.last_mut() {
                // Full again at the very moment it stopped being full.
                Some((_, end)) if *end == since => *end = t,
                _ => out.push((since, t)),
            },
            _ => {}
        }
    }
    out
}

/// A round step for the axis: 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&step| step >= raw)
        .unwrap_or(10.0 * power)
}

/// Milliseconds without needless digits: `20`, `2.5`, `0.05`.
fn fmt_ms(ms: f64) -> String {
    let text = format!("{ms:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Escapes text for XML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_are_round() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(13.0), 20.0);
        assert_eq!(nice_step(40.0), 50.0);
        assert_eq!(fmt_ms(2.5), "2.5");
        assert_eq!(fmt_ms(20.0), "20");
    }

    #[test]
    fn rack_places_are_reused_and_full_is_found() {
        let mut t = Timeline::new("t", 1, 1);
        t.washed("a", 0, 10, 10, false);
        t.washed("b", 10, 20, 30, true);
        t.dried(("a".into(), 1, 30, 40));
        t.dried(("b".into(), 1, 40, 50));
        let lanes: Vec<String> = t
            .spans()
            .into_iter()
            .filter(|s| s.step == Step::Rack)
            .map(|s| s.lane)
            .collect();
        assert_eq!(lanes, ["rack 1", "rack 1"]);
        assert_eq!(full_intervals(&t.spans(), 1), [(10, 40)]);
        assert!(!t.to_svg().contains("\n\n"));
    }

    /// A washer that found the rack full draws a "waiting for room" box in
    /// its lane, and the time the rack was full a band; without a wait,
    /// neither appears.
    #[test]
    fn waits_and_a_full_rack_are_drawn() {
        let mut t = Timeline::new("t", 1, 1);
        t.washed("a", 0, 10, 10, false);
        t.washed("b", 10, 20, 30, true);
        t.dried(("a".into(), 1, 30, 40));
        t.dried(("b".into(), 1, 40, 50));
        let svg = t.to_svg();
        assert!(svg.contains(r#"data-dish="b" data-step="wait" data-lane="washer""#));
        assert!(!svg.contains(r#"data-dish="a" data-step="wait""#));
        assert!(svg.contains(r#"<rect class="wt-full""#));

        let mut t = Timeline::new("t", 1, 2);
        t.washed("a", 0, 10, 10, false);
        t.dried(("a".into(), 1, 10, 20));
        let svg = t.to_svg();
        assert!(!svg.contains(r#"data-step="wait""#));
        assert!(!svg.contains(r#"<rect class="wt-full""#));
    }
}
