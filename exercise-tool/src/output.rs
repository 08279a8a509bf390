//! What grading writes: a CSV for people and LMS imports (student, score,
//! maximum), and beside it JSON (every check's outcome and reason) and
//! JUnit XML (for CI dashboards).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

use crate::{Exercise, Outcome, Report};

/// The CSV's header: `student`, one column per check (its points when
/// passed, else 0), `score`, `maximum`, `percent`, `sandboxed`, `notes`.
pub fn csv_header(exercise: &Exercise) -> Vec<String> {
    let mut header = vec!["student".to_string()];
    header.extend(exercise.checks.iter().map(|c| c.test.clone()));
    header.extend(["score", "maximum", "percent", "sandboxed", "notes"].map(String::from));
    header
}

/// One student's CSV row. `notes` holds the reason of the first failed
/// check, in one line.
pub fn csv_record(student: &str, report: &Report) -> Vec<String> {
    let mut record = vec![student.to_string()];
    record.extend(report.results.iter().map(|r| {
        if r.outcome == Outcome::Passed {
            r.points.to_string()
        } else {
            "0".to_string()
        }
    }));
    let percent = 100 * report.score() / report.maximum().max(1);
    let notes = report
        .results
        .iter()
        .find_map(|r| match &r.outcome {
            Outcome::Failed(f) => Some(format!("{}: {}", r.test, f.reason())),
            Outcome::Passed => None,
        })
        .map(|n| one_line(&n, 300))
        .unwrap_or_default();
    record.extend([
        report.score().to_string(),
        report.maximum().to_string(),
        percent.to_string(),
        if report.sandboxed { "yes" } else { "NO" }.to_string(),
        notes,
    ]);
    record
}

/// A CSV that is written as grading goes: each row flushed as it comes.
pub struct CsvRows<W: Write> {
    csv: csv::Writer<W>,
}

impl<W: Write> CsvRows<W> {
    /// Writes the header.
    pub fn new(out: W, exercise: &Exercise) -> anyhow::Result<CsvRows<W>> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(csv_header(exercise))?;
        csv.flush()?;
        Ok(CsvRows { csv })
    }

    /// Writes and flushes one row.
    pub fn row(&mut self, student: &str, report: &Report) -> anyhow::Result<()> {
        self.csv.write_record(csv_record(student, report))?;
        self.csv.flush()?;
        Ok(())
    }
}

/// Writes every row, by student, as CSV.
pub fn write_csv<W: Write>(
    out: W,
    exercise: &Exercise,
    rows: &BTreeMap<String, Report>,
) -> anyhow::Result<()> {
    let mut csv = CsvRows::new(out, exercise)?;
    for (student, report) in rows {
        csv.row(student, report)?;
    }
    Ok(())
}

/// The rows as JSON: the exercise, and per student the score, maximum,
/// whether it ran sandboxed and each check's outcome with its reason.
pub fn json(exercise: &Exercise, rows: &BTreeMap<String, Report>) -> serde_json::Value {
    let students: Vec<serde_json::Value> = rows
        .iter()
        .map(|(student, report)| {
            let checks: Vec<serde_json::Value> = report
                .results
                .iter()
                .map(|r| {
                    let mut check = serde_json::json!({
                        "test": r.test,
                        "points": r.points,
                        "passed": r.outcome == Outcome::Passed,
                    });
                    if let Outcome::Failed(f) = &r.outcome {
                        check["failure"] = serde_json::json!(f.kind());
                        check["reason"] = serde_json::json!(f.reason());
                    }
                    check
                })
                .collect();
            serde_json::json!({
                "student": student,
                "score": report.score(),
                "maximum": report.maximum(),
                "sandboxed": report.sandboxed,
                "checks": checks,
            })
        })
        .collect();
    serde_json::json!({ "exercise": exercise.id, "students": students })
}

/// The rows as JUnit XML: a test suite per student, a test case per check.
pub fn junit(exercise: &Exercise, rows: &BTreeMap<String, Report>) -> String {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let failures: usize = rows.values().map(|r| r.total() - r.passed()).sum();
    let tests: usize = rows.values().map(Report::total).sum();
    xml.push_str(&format!(
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\">\n",
        escape(&exercise.id)
    ));
    for (student, report) in rows {
        xml.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n",
            escape(student),
            report.total(),
            report.total() - report.passed()
        ));
        for r in &report.results {
            let case = format!(
                "    <testcase classname=\"{}.{}\" name=\"{}\"",
                escape(&exercise.id),
                escape(student),
                escape(&r.test)
            );
            match &r.outcome {
                Outcome::Passed => xml.push_str(&format!("{case}/>\n")),
                Outcome::Failed(f) => xml.push_str(&format!(
                    "{case}>\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                    f.kind(),
                    escape(&one_line(&f.reason(), 200)),
                    escape(&f.reason())
                )),
            }
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

/// Writes `scores.json` and `scores.xml` beside `csv` (same name, other
/// extension); returns their paths.
pub fn write_beside(
    csv: &Path,
    exercise: &Exercise,
    rows: &BTreeMap<String, Report>,
) -> anyhow::Result<[std::path::PathBuf; 2]> {
    let json_path = csv.with_extension("json");
    let xml_path = csv.with_extension("xml");
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&json(exercise, rows))? + "\n",
    )
    .with_context(|| format!("write {}", json_path.display()))?;
    std::fs::write(&xml_path, junit(exercise, rows))
        .with_context(|| format!("write {}", xml_path.display()))?;
    Ok([json_path, xml_path])
}

/// `text` on one line, cut at `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if line.chars().count() > max {
        line.chars().take(max).collect::<String>() + "…"
    } else {
        line
    }
}

/// Text made safe inside XML attributes and elements: the five special
/// characters escaped, and characters XML 1.0 forbids dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}
