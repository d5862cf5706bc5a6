//! The report crate through its public API, on two small synthetic runs. The first: two
//! variants, one fault window, a violation, a NaN metric, a line chart, a dot chart and a
//! short trace. The second: labelled series (a stacked chart, latency percentiles), a state
//! strip and an outcome grid. Text outputs are pinned as insta snapshots under
//! `tests/snapshots/`.

use std::collections::BTreeMap;
use std::io::Cursor;

use faultline_engine::{DropReason, NodeId, SimTime, TraceEvent, TraceRecord};
use faultline_outcome::{
    CellOutcome, ChartId, ChartKind, ChartSpec, FaultWindow, Grid, GridVariant, NotChecked,
    Outcome, Series, Violation,
};
use faultline_report::{
    CHART_HEIGHT_PX, CHART_WIDTH_PX, OUTCOME_FAILED, OUTCOME_INDETERMINATE, OUTCOME_OK, Report,
    SPACETIME_HEIGHT_PX, SPACETIME_WIDTH_PX, Spacetime, TERMINAL_WIDTH_CHARS, TraceColumns,
    chart_png, chart_svg, index_html, informative, perfetto_json, render_folder, run_json,
    spacetime_png, spacetime_svg, summary_json, summary_md, terminal_table, trace_jsonl,
    variant_color,
};
use serde_json::Value;

struct Fixture {
    charts: Vec<ChartSpec>,
    faults: Vec<FaultWindow>,
    outcomes: Vec<Outcome>,
}

impl Fixture {
    fn new() -> Fixture {
        let charts = vec![
            ChartSpec {
                id: "delivered".to_owned(),
                title: "Delivered messages stall during the partition; retries catch up after it"
                    .to_owned(),
                y_label: "messages delivered".to_owned(),
                kind: ChartKind::Line,
                states: Vec::new(),
                reference_lines: Vec::new(),
                x_label: None,
                variant: None,
            },
            ChartSpec {
                id: "latency".to_owned(),
                title: "Per-message latency: retried messages arrive seconds late".to_owned(),
                y_label: "latency (ms)".to_owned(),
                kind: ChartKind::Points,
                states: Vec::new(),
                reference_lines: Vec::new(),
                x_label: None,
                variant: None,
            },
        ];
        let faults = vec![FaultWindow {
            from_s: 4.0,
            until_s: 7.0,
            label: "partition {alice} | {bob}".to_owned(),
        }];
        let outcomes = vec![
            outcome(
                "fire-and-forget",
                0x0123_4567_89ab_cdef,
                &[
                    ("delivered.ratio", 0.75),
                    ("latency_ms.p99", f64::NAN),
                    ("messages.lost", 3.0),
                    ("net.dropped.partition", 3.0),
                    ("net.sent", 12.0),
                ],
                vec![
                    Violation {
                        invariant: "every-message-delivered".to_owned(),
                        at: SimTime::from_millis(10_000),
                        node: "bob".to_owned(),
                        detail: "message 5 from alice never arrived".to_owned(),
                        subjects: Vec::new(),
                    },
                    Violation {
                        invariant: "every-message-delivered".to_owned(),
                        at: SimTime::from_millis(10_000),
                        node: "bob".to_owned(),
                        detail: "message 6 from alice never arrived".to_owned(),
                        subjects: Vec::new(),
                    },
                ],
                vec![
                    series(
                        "delivered",
                        &[(0.0, 0.0), (2.0, 4.0), (4.0, 6.0), (7.0, 6.0), (10.0, 9.0)],
                    ),
                    series("latency", &[(1.0, 1.2), (2.5, 0.9), (8.0, 1.1)]),
                ],
                "3 of 12 messages (25%) were lost in the partition and never resent.",
            ),
            outcome(
                "retry",
                0xab,
                &[
                    ("delivered.ratio", 1.0),
                    ("latency_ms.p99", 3012.5),
                    ("messages.lost", 0.0),
                    ("net.dropped.partition", 5.0),
                    ("net.sent", 17.0),
                ],
                Vec::new(),
                vec![
                    series(
                        "delivered",
                        &[(0.0, 0.0), (2.0, 4.0), (4.0, 6.0), (7.5, 12.0), (10.0, 12.0)],
                    ),
                    series("latency", &[(1.0, 1.0), (7.2, 3012.5)]),
                ],
                "All 12 messages arrived; 5 waited out the partition, p99 latency 3012.5 ms.",
            ),
        ];
        Fixture { charts, faults, outcomes }
    }

    fn report(&self) -> Report<'_> {
        Report {
            scenario: "chat-partition",
            about: "Alice sends Bob 12 messages while a partition cuts them apart for 3 s.",
            seed: 42,
            duration_s: 10.0,
            charts: &self.charts,
            faults: &self.faults,
            outcomes: &self.outcomes,
            grids: &[],
            spacetime: None,
            headline_metrics: &[],
            invariants: &[],
            not_checked: &[],
            traces: &[],
        }
    }
}

fn outcome(
    variant: &str,
    trace_hash: u64,
    metrics: &[(&str, f64)],
    violations: Vec<Violation>,
    series: Vec<Series>,
    verdict: &str,
) -> Outcome {
    Outcome {
        variant: variant.to_owned(),
        trace_hash,
        events: 40,
        sim_time: SimTime::from_secs(10),
        metrics: metrics.iter().map(|&(name, value)| (name.to_owned(), value)).collect(),
        violations,
        series,
        verdict: verdict.to_owned(),
        trace: None,
    }
}

fn series(chart: &str, points: &[(f64, f64)]) -> Series {
    Series { chart: chart.to_owned(), label: None, points: points.to_vec() }
}

/// alice sends two messages to bob: the first arrives (twice: the network duplicated it),
/// the second is lost to the partition; bob's timer fires.
fn trace() -> (Vec<TraceRecord>, Vec<String>) {
    let (alice, bob) = (NodeId(0), NodeId(1));
    let record = |at_ms, hash, event| TraceRecord {
        at: SimTime::from_millis(at_ms),
        hash,
        event,
        subject: None,
    };
    let hello = || "Chat { text: \"hi\" }".to_owned();
    let records = vec![
        record(0, 1, TraceEvent::Start { node: alice }),
        record(0, 2, TraceEvent::Start { node: bob }),
        record(1, 2, TraceEvent::Send { from: alice, to: bob, msg_id: 7, msg: hello() }),
        record(2, 3, TraceEvent::Deliver { from: alice, to: bob, msg_id: 7, msg: hello() }),
        record(3, 4, TraceEvent::Deliver { from: alice, to: bob, msg_id: 7, msg: hello() }),
        record(4, 5, TraceEvent::FaultBegin { index: 0, description: "partition".to_owned() }),
        record(5, 5, TraceEvent::Send { from: alice, to: bob, msg_id: 8, msg: hello() }),
        record(
            5,
            6,
            TraceEvent::Drop {
                from: alice,
                to: bob,
                msg_id: 8,
                msg: hello(),
                reason: DropReason::Partition,
            },
        ),
        record(6, 7, TraceEvent::Timer { node: bob, timer: "Tick".to_owned() }),
        record(7, 8, TraceEvent::FaultEnd { index: 0, description: "partition".to_owned() }),
    ];
    (records, vec!["alice".to_owned(), "bob".to_owned()])
}

#[test]
fn run_json_snapshot() {
    let fixture = Fixture::new();
    let json = serde_json::to_string_pretty(&run_json(&fixture.report())).unwrap();
    insta::assert_snapshot!("run_json", json);
}

#[test]
fn summary_md_snapshot() {
    let fixture = Fixture::new();
    insta::assert_snapshot!("summary_md", summary_md(&fixture.report()));
}

#[test]
fn terminal_table_snapshot() {
    let fixture = Fixture::new();
    insta::assert_snapshot!(
        "terminal_table",
        terminal_table(&fixture.report(), TraceColumns::Hidden)
    );
    insta::assert_snapshot!(
        "terminal_table_verbose",
        terminal_table(&fixture.report(), TraceColumns::Shown)
    );
}

#[test]
fn the_terminal_table_marks_a_metric_that_does_not_apply_and_stays_narrow() {
    let mut fixture = Fixture::new();
    let name = fixture.outcomes[0].metrics.keys().next().unwrap().clone();
    fixture.outcomes[1].metrics.remove(&name);
    fixture.outcomes[0].verdict = "word ".repeat(60);
    let table = terminal_table(&fixture.report(), TraceColumns::Hidden);
    let row = table.lines().find(|l| l.starts_with("retry")).unwrap();
    assert!(row.contains('—'), "{table}");
    assert!(!table.contains("trace hash"), "{table}");
    assert!(table.lines().all(|l| l.chars().count() <= TERMINAL_WIDTH_CHARS), "{table}");
}

#[test]
fn run_json_keeps_the_contract() {
    let fixture = Fixture::new();
    let json = run_json(&fixture.report());
    let variant = &json["variants"][1];
    assert_eq!(variant["trace_hash"], "00000000000000ab");
    assert_eq!(json["variants"][0]["metrics"]["latency_ms.p99"], Value::Null);
    assert_eq!(json["variants"][0]["violations"][0]["at_s"], 10.0);
    // The printed form is valid JSON even with the NaN.
    let text = json.to_string();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), json);
}

#[test]
fn summary_json_adds_about_faults_verdicts_and_series() {
    let fixture = Fixture::new();
    let report = fixture.report();
    let summary = summary_json(&report);
    assert_eq!(summary["about"], report.about);
    assert_eq!(summary["faults"][0]["label"], "partition {alice} | {bob}");
    let retry = &summary["variants"][1];
    assert_eq!(retry["verdict"], fixture.outcomes[1].verdict.as_str());
    assert_eq!(retry["series"]["latency"], serde_json::json!([[1.0, 1.0], [7.2, 3012.5]]));
    // Everything of run_json is there unchanged.
    for (key, value) in run_json(&report)["variants"][0].as_object().unwrap() {
        assert_eq!(&summary["variants"][0][key], value, "{key}");
    }
}

#[test]
fn svg_shows_the_fault_and_both_variants() {
    let fixture = Fixture::new();
    let report = fixture.report();
    let svg = chart_svg(&report, &fixture.charts[0]).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.contains("partition {alice} | {bob}"), "no fault label");
    assert!(svg.contains("<rect") && svg.contains("opacity=\"0.18\""), "no fault shading");
    assert!(svg.contains("fire-and-forget") && svg.contains("retry"), "legend lacks variants");
    assert!(svg.contains("virtual time (s)") && svg.contains("messages delivered"), "axis labels");
}

#[test]
fn png_is_a_valid_image_of_the_chart_size() {
    let fixture = Fixture::new();
    let png_bytes = chart_png(&fixture.report(), &fixture.charts[1]).unwrap();
    assert!(png_bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let reader = png::Decoder::new(Cursor::new(png_bytes)).read_info().unwrap();
    let info = reader.info();
    assert_eq!((info.width, info.height), (CHART_WIDTH_PX, CHART_HEIGHT_PX));
}

#[test]
fn empty_and_single_point_series_still_render() {
    let fixture = Fixture::new();
    let mut report = fixture.report();
    let lonely =
        [outcome("only", 1, &[], Vec::new(), vec![series("delivered", &[(3.0, 0.0)])], "")];
    report.outcomes = &lonely;
    for spec in &fixture.charts {
        // `latency` has no series at all here; `delivered` has a single point.
        assert!(chart_svg(&report, spec).unwrap().contains("only"));
        assert!(chart_png(&report, spec).is_ok());
    }
    report.outcomes = &[];
    report.duration_s = f64::NAN;
    assert!(chart_png(&report, &fixture.charts[0]).is_ok());
}

#[test]
fn rendering_twice_gives_identical_bytes() {
    let fixture = Fixture::new();
    let first = render_folder(&fixture.report()).unwrap();
    let second = render_folder(&fixture.report()).unwrap();
    assert!(first == second, "the report folder differs between two renderings");
    let names: Vec<&str> = first.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "summary.json",
            "summary.md",
            "index.html",
            "delivered.svg",
            "delivered.png",
            "latency.svg",
            "latency.png"
        ]
    );
    let summary = String::from_utf8(first[0].1.clone()).unwrap();
    assert!(summary.ends_with("}\n"));
    assert_eq!(serde_json::from_str::<Value>(&summary).unwrap(), summary_json(&fixture.report()));
}

#[test]
fn render_folder_refuses_chart_ids_that_are_not_file_names() {
    let mut fixture = Fixture::new();
    fixture.charts[0].id = "../escape".to_owned();
    let err = render_folder(&fixture.report()).unwrap_err();
    assert!(err.to_string().contains("../escape"), "{err}");
}

#[test]
fn index_html_escapes_text_and_inlines_every_chart() {
    let fixture = Fixture::new();
    let mut report = fixture.report();
    report.about = "if balance < 0 && <script>alert(1)</script>";
    let html = index_html(&report).unwrap();
    assert!(html.contains("if balance &lt; 0 &amp;&amp; &lt;script&gt;"), "about not escaped");
    assert!(!html.contains("<script>alert"), "a script got through");
    // The page's own script is the only one, and it fetches nothing.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(!html.contains(" src=") && !html.contains("fetch("));
    assert_eq!(html.matches("<svg").count(), fixture.charts.len());
    assert!(html.contains("message 5 from alice never arrived"), "violation detail missing");
    assert!(html.contains(&fixture.outcomes[1].verdict), "verdict missing");
}

/// Every `id="…"` and every in-page `href="#…"` of a page.
fn ids_and_links(html: &str) -> (Vec<&str>, Vec<&str>) {
    let values = |marker: &str| -> Vec<&str> {
        html.match_indices(marker)
            .map(|(at, _)| {
                let rest = &html[at + marker.len()..];
                &rest[..rest.find('"').unwrap()]
            })
            .collect()
    };
    (values(" id=\""), values("href=\"#"))
}

#[test]
fn index_html_has_contents_and_every_link_lands() {
    let fixture = Fixture::new();
    let mut report = fixture.report();
    let transfers = Transfers::new();
    report.spacetime = Some(transfers.diagram());
    let html = index_html(&report).unwrap();
    let (ids, links) = ids_and_links(&html);
    for link in &links {
        assert!(ids.contains(link), "#{link} has no target");
    }
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "an id is used twice: {ids:?}");
    // The bar and the contents reach every section; the contents each chart, by its
    // title up to the colon.
    for section in ["verdicts", "story", "charts", "results", "metrics", "violations"] {
        assert!(links.iter().filter(|l| **l == section).count() >= 2, "#{section}: {links:?}");
    }
    let entry = "<a href=\"#chart-latency\">Per-message latency</a>";
    assert!(html.contains(entry), "no contents entry for the latency chart");
    // A verdict links to its variant's violations, when it has some.
    let verdict = html.lines().find(|l| l.contains(&fixture.outcomes[0].verdict)).unwrap();
    assert!(verdict.contains("<a href=\"#violations-0\">violations</a>"), "{verdict}");
    let clean = html.lines().find(|l| l.contains(&fixture.outcomes[1].verdict)).unwrap();
    assert!(!clean.contains("violations"), "{clean}");
    // Wide tables scroll in their own box.
    assert_eq!(
        html.matches("<table>").count(),
        html.matches("<div class=\"scroll\"><table>").count()
    );
}

/// The page's figure of the chart `id`.
fn chart_figure<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("<figure id=\"chart-{id}\"")).unwrap();
    &html[start..start + html[start..].find("</figure>").unwrap()]
}

#[test]
fn page_charts_group_each_variant_with_tooltips_and_a_legend_that_toggles_it() {
    let fixture = Fixture::new();
    let html = index_html(&fixture.report()).unwrap();
    let figure = |id: &str| chart_figure(&html, id);
    for id in ["delivered", "latency"] {
        let chart = figure(id);
        for variant in ["fire-and-forget", "retry"] {
            let group = format!("<g data-variant=\"{variant}\">\n<title>{variant}</title>");
            assert!(chart.contains(&group), "{id}: no tooltip group for {variant}");
            let toggle = format!("data-toggle-variant=\"{variant}\"");
            assert!(chart.contains(&toggle), "{id}: no legend entry toggles {variant}");
        }
    }
    // A point says whose it is and its value: retry's latency at 7.2 s was 3012.5 ms.
    assert!(figure("latency").contains("<title>retry, 7.2 s: latency 3012.5 ms</title>"));
    // The chart's own file stays a whole picture, its legend drawn in it.
    let file = chart_svg(&fixture.report(), &fixture.charts[0]).unwrap();
    assert!(!file.contains("data-variant") && file.contains("fire-and-forget\n</text>"));
}

#[test]
fn a_state_strip_on_the_page_has_a_band_group_per_variant_and_keeps_its_state_legend() {
    let fixture = Resilience::new();
    let html = index_html(&fixture.report()).unwrap();
    let figure = chart_figure(&html, "breaker");
    // Only the variants with a breaker have a band; each is its own group.
    for variant in ["breaker", "breaker-stuck"] {
        assert!(figure.contains(&format!("<g data-variant=\"{variant}\">")), "{variant}");
    }
    // The legend names the states, so it stays in the picture: no toggles here.
    assert!(!figure.contains("data-toggle-variant"));
    assert!(figure.contains("HALF_OPEN\n</text>"), "the state legend is drawn");
    // Each stretch of a band says its state and when, and hides with its variant.
    let band = &figure[figure.find("<g data-variant=\"breaker-stuck\">").unwrap()..];
    let band = &band[..band.find("</g>").unwrap()];
    assert!(band.contains("<title>breaker-stuck: HALF_OPEN from 3.2 s to 4 s</title>"), "{band}");
}

#[test]
fn a_stacked_chart_on_the_page_says_every_part_at_each_instant_on_hover() {
    let fixture = Resilience::new();
    let html = index_html(&fixture.report()).unwrap();
    let figure = chart_figure(&html, "attempts-retry");
    // At 4 s, in the slowdown: 50 first tries and 40 + 10 retries, each part on its own line.
    let column = "<title>retry, 4 s, attempts per second:\nfirst tries: 50\nretries: 50</title>";
    assert!(figure.contains(column), "{figure}");
    assert_eq!(
        figure.matches("<rect class=\"hover\"").count(),
        11,
        "one column per second, 0 to 10 s"
    );
}

#[test]
fn violations_show_each_invariant_first_in_declared_order_and_the_rest_behind_a_toggle() {
    let fixture = Fixture::new();
    let mut outcomes = fixture.outcomes.clone();
    let violation = |invariant: &str, at_ms: u64, detail: &str| Violation {
        invariant: invariant.to_owned(),
        at: SimTime::from_millis(at_ms),
        node: "bob".to_owned(),
        detail: detail.to_owned(),
        subjects: Vec::new(),
    };
    // Early reorders, then the loss the scenario declares first: the loss leads.
    outcomes[0].violations = (0..6)
        .map(|k| violation("in-order", 100 * k, &format!("reordered #{k}")))
        .chain([violation("no-loss", 9_000, "74 messages never arrived")])
        .collect();
    let invariants = ["no-loss".to_owned(), "in-order".to_owned()];
    let report = Report { outcomes: &outcomes, invariants: &invariants, ..fixture.report() };
    let html = index_html(&report).unwrap();
    let section = &html[html.find("id=\"violations-0\"").unwrap()..];
    let (loss, reorder) =
        (section.find("74 messages").unwrap(), section.find("reordered #0").unwrap());
    assert!(loss < reorder, "the declared-first invariant comes first");
    let toggle = section.find("<summary>All 7 violations, in time order</summary>").unwrap();
    assert!(reorder < toggle && section.find("reordered #5").unwrap() > toggle);
}

#[test]
fn the_page_and_the_summary_say_which_invariants_were_checked_and_why_others_were_not() {
    let fixture = Fixture::new();
    let invariants = ["no-loss".to_owned()];
    let not_checked = [
        NotChecked { invariant: "in-order", why: Some("the relay has one path".to_owned()) },
        NotChecked { invariant: "no-duplicate", why: None },
    ];
    let report = Report { invariants: &invariants, not_checked: &not_checked, ..fixture.report() };
    let md = summary_md(&report);
    assert!(md.contains("- Checks: `no-loss`\n"), "{md}");
    assert!(md.contains("- Not checked: `in-order`: the relay has one path\n"), "{md}");
    assert!(md.contains("- Not checked: `no-duplicate`: the scenario gives no reason\n"), "{md}");
    let html = index_html(&report).unwrap();
    assert!(html.contains("Checks: <code>no-loss</code>."), "{html}");
    assert!(html.contains("<li><code>in-order</code>: the relay has one path</li>"), "{html}");
    // Before the verdicts: a reader knows what a clean verdict covers before reading it.
    assert!(html.find("Not checked:").unwrap() < html.find("id=\"verdicts\"").unwrap());
}

#[test]
fn svg_text_is_drawn_at_the_size_it_was_laid_out_at() {
    // plotters' SVG backend divides font sizes by 1.24; the page's text must not shrink
    // below what the label boxes were measured for. The sizes asked for are whole pixels.
    let fixture = Fixture::new();
    let report = fixture.report();
    let svgs = [
        chart_svg(&report, &fixture.charts[0]).unwrap(),
        spacetime_svg(&Transfers::new().diagram()).unwrap(),
    ];
    for svg in svgs {
        let sizes: Vec<f64> = svg
            .match_indices("font-size=\"")
            .map(|(at, marker)| {
                let rest = &svg[at + marker.len()..];
                rest[..rest.find('"').unwrap()].parse().unwrap()
            })
            .collect();
        assert!(!sizes.is_empty());
        assert!(sizes.iter().all(|px| px.fract() == 0.0 && *px >= 11.0), "{sizes:?}");
    }
}

#[test]
fn trace_jsonl_has_one_object_per_record_with_names() {
    let (records, names) = trace();
    let jsonl = trace_jsonl(&records, &names);
    let lines: Vec<Value> = jsonl.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), records.len());
    assert_eq!(lines[2]["event"], "send");
    assert_eq!(lines[2]["from"], "alice");
    assert_eq!(lines[2]["to"], "bob");
    assert_eq!(lines[2]["msg_id"], 7);
    assert_eq!(lines[2]["at_ns"], 1_000_000);
    assert_eq!(lines[2]["hash"], "0000000000000002");
    assert_eq!(lines[7]["reason"], "partition");
    assert_eq!(lines[8]["timer"], "Tick");
    assert_eq!(lines[5]["event"], "fault-begin");
    assert_eq!(lines[9]["description"], "partition");
}

#[test]
fn perfetto_json_links_each_delivery_to_its_send() {
    let (records, names) = trace();
    let json: Value = serde_json::from_str(&perfetto_json(&records, &names, &[])).unwrap();
    assert_eq!(json["displayTimeUnit"], "ms");
    let events = json["traceEvents"].as_array().unwrap();
    let with = |ph: &str| -> Vec<&Value> { events.iter().filter(|e| e["ph"] == ph).collect() };

    // Every node is a process, and its track a thread, both named after it; the faults have
    // their own process.
    let named = |what: &str| -> BTreeMap<(u64, u64), &str> {
        with("M")
            .iter()
            .filter(|e| e["name"] == what)
            .map(|e| {
                let ids = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
                (ids, e["args"]["name"].as_str().unwrap())
            })
            .collect()
    };
    // The faults' process is none of the nodes', and not 0, which viewers treat as special.
    let faults_pid = named("process_name").into_iter().find(|(_, name)| *name == "faults");
    let faults_pid = faults_pid.unwrap().0.0;
    assert!(faults_pid > 2, "faults share process {faults_pid} with a node or with 0");
    let processes =
        BTreeMap::from([((faults_pid, faults_pid), "faults"), ((1, 1), "alice"), ((2, 2), "bob")]);
    assert_eq!(named("process_name"), processes);
    let threads =
        BTreeMap::from([((faults_pid, 1), "partition"), ((1, 1), "alice"), ((2, 2), "bob")]);
    assert_eq!(named("thread_name"), threads);

    // Message 7 was delivered twice: two arrows from alice at 1 ms to bob at 2 and 3 ms.
    let starts = with("s");
    let finishes = with("f");
    assert_eq!(starts.len(), 2);
    assert_eq!(finishes.len(), 2);
    assert_eq!(starts[0]["id"], 7);
    assert_eq!(finishes[0]["id"], 7);
    assert_eq!((starts[0]["pid"].as_u64(), starts[0]["ts"].as_f64()), (Some(1), Some(1000.0)));
    assert_eq!((finishes[0]["pid"].as_u64(), finishes[0]["ts"].as_f64()), (Some(2), Some(2000.0)));
    assert_eq!(finishes[0]["bp"], "e");
    assert_eq!(starts[1]["id"], finishes[1]["id"]);
    assert_ne!(starts[1]["id"], starts[0]["id"]);
    for flow in starts.iter().chain(&finishes) {
        assert_eq!(flow["cat"], "msg");
        // A flow binds to a slice on the same track that covers its timestamp.
        let covered = with("X").iter().any(|slice| {
            let (ts, dur) = (slice["ts"].as_f64().unwrap(), slice["dur"].as_f64().unwrap());
            slice["pid"] == flow["pid"]
                && slice["name"] == flow["name"]
                && (ts..=ts + dur).contains(&flow["ts"].as_f64().unwrap())
        });
        assert!(covered, "no slice under {flow}");
    }

    let drops: Vec<&Value> = with("X")
        .into_iter()
        .filter(|e| e["name"].as_str().unwrap().starts_with("drop partition: Chat"))
        .collect();
    assert_eq!(drops.len(), 1);
    assert_eq!(drops[0]["pid"], 1, "a drop shows on the sender");

    // The partition is one span, from 4 ms to 7 ms, on the faults' process.
    let faults: Vec<&Value> = with("X").into_iter().filter(|e| e["cat"] == "fault").collect();
    assert_eq!(faults.len(), 1);
    assert_eq!(
        (faults[0]["name"].as_str(), faults[0]["pid"].as_u64()),
        (Some("partition"), Some(faults_pid))
    );
    assert_eq!((faults[0]["ts"].as_f64(), faults[0]["dur"].as_f64()), (Some(4000.0), Some(3000.0)));
    assert!(with("i").is_empty(), "no violations, no instants");
}

#[test]
fn perfetto_slices_are_named_by_kind_and_violations_are_marked() {
    let (alice, bob) = (NodeId(0), NodeId(1));
    let send = |at_ms, msg_id: u64, text: &str| TraceRecord {
        at: SimTime::from_millis(at_ms),
        hash: 0,
        event: TraceEvent::Send { from: alice, to: bob, msg_id, msg: text.to_owned() },
        subject: None,
    };
    let records = [
        send(1, 3, "T1: debit X $100.00"),
        send(2, 4, "T2: debit X $25.50"),
        send(3, 5, "alice's message #87"),
    ];
    let names = ["alice".to_owned(), "bob".to_owned()];
    let violations = [
        Violation {
            invariant: "no-negative-balance".to_owned(),
            at: SimTime::from_millis(3),
            node: "bob".to_owned(),
            detail: "X fell to -$100.00".to_owned(),
            subjects: Vec::new(),
        },
        Violation {
            invariant: "conservation".to_owned(),
            at: SimTime::from_millis(4),
            node: "checker".to_owned(),
            detail: "$100.00 appeared".to_owned(),
            subjects: Vec::new(),
        },
    ];
    let json: Value = serde_json::from_str(&perfetto_json(&records, &names, &violations)).unwrap();
    let events = json["traceEvents"].as_array().unwrap();
    let slices: Vec<&Value> = events.iter().filter(|e| e["ph"] == "X").collect();
    let slice_names: Vec<&str> = slices.iter().map(|e| e["name"].as_str().unwrap()).collect();
    // Two debits, one name: ids and amounts go to the args.
    assert_eq!(slice_names, ["T#: debit X $#", "T#: debit X $#", "alice's message #"]);
    assert_eq!(slices[1]["args"]["msg"], "T2: debit X $25.50");
    assert_eq!(slices[1]["args"]["msg_id"], 4);

    let marks: Vec<&Value> = events.iter().filter(|e| e["cat"] == "violation").collect();
    assert_eq!(marks.len(), 2);
    assert!(marks.iter().all(|e| e["ph"] == "i"));
    assert_eq!(
        (marks[0]["name"].as_str(), marks[0]["pid"].as_u64()),
        (Some("no-negative-balance"), Some(2))
    );
    assert_eq!((marks[0]["s"].as_str(), marks[0]["ts"].as_f64()), (Some("t"), Some(3000.0)));
    assert_eq!(marks[0]["args"]["detail"], "X fell to -$100.00");
    // A checker is not a node of the run: its violation marks the whole trace.
    assert_eq!(marks[1]["s"], "g");
}

#[test]
fn the_terminal_table_shows_the_headline_metrics_in_their_order() {
    let fixture = Fixture::new();
    let mut report = fixture.report();
    let names: Vec<&str> = fixture.outcomes[0].metrics.keys().map(String::as_str).collect();
    let headline = [names[1], names[0]];
    report.headline_metrics = &headline;
    let table = terminal_table(&report, TraceColumns::Hidden);
    let header = table.lines().next().unwrap();
    let (first, second) = (header.find(names[1]).unwrap(), header.find(names[0]).unwrap());
    assert!(first < second, "{header}");
    assert!(!names[2..].iter().any(|name| header.contains(name)), "{header}");
}

/// A retry storm against a slow downstream: `retry` stacks its first tries and retries,
/// two circuit breakers show their state over time (one stays open to the end), every
/// variant has p50 and p99 latency lines, and a grid says which setting recovered.
struct Resilience {
    charts: Vec<ChartSpec>,
    faults: Vec<FaultWindow>,
    outcomes: Vec<Outcome>,
    grids: Vec<Grid>,
}

const STATES: [&str; 3] = ["CLOSED", "HALF_OPEN", "OPEN"];
/// The strip's y values: indices into [`STATES`].
const CLOSED: f64 = 0.0;
const HALF_OPEN: f64 = 1.0;
const OPEN: f64 = 2.0;

impl Resilience {
    fn new() -> Resilience {
        let chart = |id: &str, title: &str, y_label: &str, kind, states: &[&str]| ChartSpec {
            id: id.to_owned(),
            title: title.to_owned(),
            y_label: y_label.to_owned(),
            kind,
            states: states.iter().map(|&state| state.to_owned()).collect(),
            reference_lines: Vec::new(),
            x_label: None,
            variant: None,
        };
        let charts = vec![
            chart(
                "attempts-retry",
                "Retries pile onto first tries while the downstream is slow",
                "attempts per second",
                ChartKind::StackedArea,
                &[],
            ),
            chart(
                "breaker",
                "One breaker closes again after the slowdown; the other stays open",
                "breaker state",
                ChartKind::StateStrip,
                &STATES,
            ),
            chart(
                "latency",
                "Latency percentiles: retries keep the p99 high after the slowdown",
                "latency (ms)",
                ChartKind::Line,
                &[],
            ),
        ];
        let faults =
            vec![FaultWindow { from_s: 3.0, until_s: 6.0, label: "downstream slow".to_owned() }];
        let per_second = |f: &dyn Fn(f64) -> f64| -> Vec<(f64, f64)> {
            (0..=10).map(|t_s| (f64::from(t_s), f(f64::from(t_s)))).collect()
        };
        let slow = |t_s: f64| (3.0..6.0).contains(&t_s);
        let latency = |p99_after_ms: f64| {
            let p50_ms = per_second(&|t| if slow(t) { 80.0 } else { 20.0 });
            let p99_ms = per_second(&|t| match t {
                t if slow(t) => 400.0,
                t if t >= 6.0 => p99_after_ms,
                _ => 60.0,
            });
            vec![
                Series::labelled("latency", "p50", p50_ms),
                Series::labelled("latency", "p99", p99_ms),
            ]
        };
        let mut retry = latency(300.0);
        retry.push(Series::labelled("attempts-retry", "first tries", per_second(&|_| 50.0)));
        retry.push(Series::labelled(
            "attempts-retry",
            "retries",
            per_second(&|t| {
                if slow(t) {
                    40.0 + 10.0 * (t - 3.0)
                } else if t >= 6.0 {
                    25.0
                } else {
                    2.0
                }
            }),
        ));
        let mut breaker = latency(60.0);
        breaker.push(Series::new(
            ChartId("breaker"),
            vec![
                (0.0, CLOSED),
                (3.5, OPEN),
                (5.0, HALF_OPEN),
                (5.5, OPEN),
                (6.5, HALF_OPEN),
                (7.0, CLOSED),
            ],
        ));
        let mut stuck = latency(900.0);
        stuck.push(Series::new(
            ChartId("breaker"),
            vec![(0.0, CLOSED), (3.2, HALF_OPEN), (4.0, OPEN)],
        ));
        let outcomes = vec![
            outcome("retry", 1, &[("requests.failed", 0.0)], Vec::new(), retry, "Kept retrying."),
            outcome("breaker", 2, &[("requests.failed", 40.0)], Vec::new(), breaker, "Recovered."),
            outcome("breaker-stuck", 3, &[("requests.failed", 300.0)], Vec::new(), stuck, "Stuck."),
        ];
        let cell = |text: &str, outcome| (text.to_owned(), outcome);
        let grids = vec![Grid {
            id: "recovery".to_owned(),
            title: "Recovery after a slowdown, by load and slowdown length".to_owned(),
            row_label: "load (requests/s)".to_owned(),
            column_label: "slowdown (s)".to_owned(),
            rows: vec!["100".to_owned(), "200".to_owned()],
            columns: vec!["1".to_owned(), "3".to_owned(), "10".to_owned()],
            variants: vec![
                GridVariant {
                    name: "retry".to_owned(),
                    cells: vec![
                        vec![
                            cell("recovered in 1 s", CellOutcome::Ok),
                            cell("recovered in 4 s", CellOutcome::Ok),
                            cell("stuck", CellOutcome::Failed),
                        ],
                        vec![
                            cell("recovered in 3 s", CellOutcome::Ok),
                            cell("stuck", CellOutcome::Failed),
                            cell("stuck", CellOutcome::Failed),
                        ],
                    ],
                },
                GridVariant {
                    name: "breaker".to_owned(),
                    cells: vec![
                        vec![
                            cell("recovered in 1 s", CellOutcome::Ok),
                            cell("recovered in 2 s", CellOutcome::Ok),
                            cell("recovered in 5 s", CellOutcome::Ok),
                        ],
                        vec![
                            cell("recovered in 1 s", CellOutcome::Ok),
                            cell("recovered in 3 s", CellOutcome::Ok),
                            cell("ran out of time | unsure", CellOutcome::Indeterminate),
                        ],
                    ],
                },
            ],
        }];
        Resilience { charts, faults, outcomes, grids }
    }

    fn report(&self) -> Report<'_> {
        Report {
            scenario: "retry-storm",
            about: "A downstream service slows down for 3 s under steady load.",
            seed: 7,
            duration_s: 10.0,
            charts: &self.charts,
            faults: &self.faults,
            outcomes: &self.outcomes,
            grids: &self.grids,
            spacetime: None,
            headline_metrics: &[],
            invariants: &[],
            not_checked: &[],
            traces: &[],
        }
    }

    fn chart(&self, id: &str) -> &ChartSpec {
        self.charts.iter().find(|spec| spec.id == id).unwrap()
    }
}

/// A text element of an SVG as plotters writes it: the text on a line of its own.
fn svg_text(text: &str) -> String {
    format!(">\n{text}\n<")
}

/// The rectangles of an SVG: (left, right, fill, stroke) in pixels.
fn svg_rects(svg: &str) -> Vec<(i64, i64, String, String)> {
    let attribute = |element: &str, name: &str| -> String {
        let start = element.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        element[start..].split('"').next().unwrap().to_owned()
    };
    svg.split("<rect")
        .skip(1)
        .map(|element| {
            let element = &element[..element.find("/>").unwrap()];
            let left: i64 = attribute(element, "x").parse().unwrap();
            let width: i64 = attribute(element, "width").parse().unwrap();
            (left, left + width, attribute(element, "fill"), attribute(element, "stroke"))
        })
        .collect()
}

#[test]
fn a_stacked_chart_shows_its_labels_in_the_outcome_palette() {
    let fixture = Resilience::new();
    let svg = chart_svg(&fixture.report(), fixture.chart("attempts-retry")).unwrap();
    for text in ["first tries", "retries", "attempts per second", "downstream slow"] {
        assert!(svg.contains(&svg_text(text)), "no {text:?} in the stacked chart");
    }
    // One variant has series here: the legend names the labels alone.
    assert!(!svg.contains("retry · "), "the legend repeats the only variant's name");
    let fills: Vec<String> = svg_rects(&svg).into_iter().map(|(_, _, fill, _)| fill).collect();
    for color in [OUTCOME_OK, OUTCOME_INDETERMINATE] {
        let polygon = format!("fill=\"{}\"", color.hex());
        let mut polygons = svg.split("<polygon").skip(1).filter_map(|rest| rest.split("/>").next());
        assert!(polygons.any(|element| element.contains(&polygon)), "no {polygon} area");
        assert!(fills.contains(&color.hex()), "no {} legend swatch", color.hex());
    }
}

#[test]
fn a_state_strip_has_a_band_per_variant_with_series_and_names_its_states() {
    let fixture = Resilience::new();
    let svg = chart_svg(&fixture.report(), fixture.chart("breaker")).unwrap();
    for text in STATES.iter().chain(&["breaker", "breaker-stuck", "breaker state"]) {
        assert!(svg.contains(&svg_text(text)), "no {text:?} in the strip");
    }
    assert!(!svg.contains(&svg_text("retry")), "a variant without a band is named");
    assert!(svg.contains(&svg_text("downstream slow")), "no fault label");
}

#[test]
fn a_state_holds_in_the_strip_until_the_end_of_the_run() {
    let fixture = Resilience::new();
    let svg = chart_svg(&fixture.report(), fixture.chart("breaker")).unwrap();
    let rects = svg_rects(&svg);
    // Each band's outline spans the whole run; `breaker-stuck` ends OPEN at 4 s of 10.
    let outline_right = rects.iter().find(|(_, _, _, stroke)| stroke == "#B0B0B0").unwrap().1;
    let open: Vec<&(i64, i64, String, String)> =
        rects.iter().filter(|(_, _, fill, _)| *fill == OUTCOME_FAILED.hex()).collect();
    // breaker: OPEN twice; breaker-stuck: once, to the end; and the legend's swatch.
    assert_eq!(open.len(), 4, "{open:?}");
    assert!(open.iter().any(|(_, right, _, _)| *right == outline_right), "{open:?}");
}

#[test]
fn labelled_lines_share_the_variant_colour_and_later_labels_are_dashed() {
    let fixture = Resilience::new();
    let svg = chart_svg(&fixture.report(), fixture.chart("latency")).unwrap();
    for name in ["retry", "breaker", "breaker-stuck"] {
        for label in ["p50", "p99"] {
            // "breaker · p50", or "breaker · p50 (= retry · p50)" where the lines coincide.
            let entry = format!("{name} · {label}");
            assert!(svg.contains(&format!(">\n{entry}")), "no legend entry {entry:?}");
        }
    }
    // A solid line and its legend sample are two paths; dashes make many more.
    let retry_paths = svg.matches(&format!("stroke=\"{}\"", variant_color(0).hex())).count();
    assert!(retry_paths > 10, "{retry_paths} paths in the colour of `retry`: no dashes?");
}

#[test]
fn new_chart_kinds_render_as_images_identically_twice() {
    let fixture = Resilience::new();
    let report = fixture.report();
    let first = render_folder(&report).unwrap();
    assert!(first == render_folder(&report).unwrap(), "two renderings differ");
    for spec in &fixture.charts {
        let png_bytes = chart_png(&report, spec).unwrap();
        let mut reader = png::Decoder::new(Cursor::new(png_bytes)).read_info().unwrap();
        let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut rgb).unwrap();
        assert_eq!((info.width, info.height), (CHART_WIDTH_PX, CHART_HEIGHT_PX));
        assert!(rgb.chunks(3).any(|pixel| pixel != [255, 255, 255]), "{} is blank", spec.id);
    }
}

#[test]
fn new_chart_kinds_survive_empty_and_degenerate_data() {
    let fixture = Resilience::new();
    let mut report = fixture.report();
    let odd = [
        outcome(
            "odd",
            1,
            &[],
            Vec::new(),
            vec![
                Series::labelled("attempts-retry", "first tries", vec![(2.0, 5.0)]),
                Series::labelled("attempts-retry", "retries", vec![(f64::NAN, 1.0), (20.0, 3.0)]),
                Series::new(
                    ChartId("breaker"),
                    vec![(f64::NAN, 0.0), (1.0, -1.0), (2.0, 1e300), (3.0, 7.0)],
                ),
                Series::labelled("latency", "p99", vec![(1.0, f64::INFINITY)]),
            ],
            "",
        ),
        outcome("silent", 2, &[], Vec::new(), Vec::new(), ""),
    ];
    for outcomes in [&odd[..], &odd[1..], &[]] {
        report.outcomes = outcomes;
        for spec in &fixture.charts {
            chart_svg(&report, spec).unwrap();
            chart_png(&report, spec).unwrap();
        }
    }
    report.outcomes = &odd;
    // Unnamed state indices get a legend row of their own.
    let strip = chart_svg(&report, fixture.chart("breaker")).unwrap();
    assert!(strip.contains(&svg_text("state 7")), "no legend row for state 7");
    report.duration_s = f64::NAN;
    chart_png(&report, fixture.chart("breaker")).unwrap();
}

#[test]
fn summary_json_groups_labelled_series_and_adds_grids() {
    let fixture = Resilience::new();
    let summary = summary_json(&fixture.report());
    let retry = &summary["variants"][0]["series"];
    assert_eq!(retry["attempts-retry"]["first tries"][10], serde_json::json!([10.0, 50.0]));
    assert_eq!(retry["latency"]["p99"].as_array().unwrap().len(), 11);
    assert_eq!(summary["variants"][1]["series"]["breaker"][1], serde_json::json!([3.5, OPEN]));

    let grid = &summary["grids"][0];
    let keys: Vec<&String> = grid.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["column_label", "columns", "id", "row_label", "rows", "title", "variants"]);
    assert_eq!(grid["rows"], serde_json::json!(["100", "200"]));
    assert_eq!(grid["columns"], serde_json::json!(["1", "3", "10"]));
    assert_eq!(grid["variants"][0]["name"], "retry");
    assert_eq!(
        grid["variants"][0]["cells"][1][1],
        serde_json::json!({"text": "stuck", "outcome": "failed"})
    );
    assert_eq!(grid["variants"][1]["cells"][1][2]["outcome"], "indeterminate");
    assert_eq!(grid["variants"][1]["cells"][0][0]["outcome"], "ok");
    // run --json stays as it was.
    assert!(run_json(&fixture.report()).get("grids").is_none());
}

#[test]
fn summary_json_has_no_grids_key_without_grids() {
    let fixture = Fixture::new();
    assert!(summary_json(&fixture.report()).get("grids").is_none());
}

#[test]
fn summary_md_shows_a_grid_table_per_variant() {
    let fixture = Resilience::new();
    insta::assert_snapshot!("resilience_summary_md", summary_md(&fixture.report()));
}

#[test]
fn index_html_shows_grids_after_the_charts_in_outcome_colours() {
    let fixture = Resilience::new();
    let html = index_html(&fixture.report()).unwrap();
    let grid_at = html.find("<h2 id=\"grid-recovery\">").expect("no grid heading");
    let last_chart_at = html.rfind("</figure>").unwrap();
    assert!(last_chart_at < grid_at, "the grid comes before a chart");
    assert_eq!(html.matches("<th>load (requests/s) ↓ · slowdown (s) →</th>").count(), 2);
    assert!(html.contains(r##"style="background:#FFB1D9" title="failed">stuck</td>"##));
    assert!(html.contains(r##"style="background:#D3E9FE" title="ok">recovered in 3 s</td>"##));
    assert!(html.contains(r##"title="indeterminate">ran out of time | unsure</td>"##));
}

/// The account's balance goes below zero: a line chart with a reference line at zero.
fn balance_report_parts() -> (ChartSpec, Vec<Outcome>) {
    let spec = ChartSpec {
        id: "balance".to_owned(),
        title: "Balance of X: below the line is money that does not exist".to_owned(),
        y_label: "X ($)".to_owned(),
        kind: ChartKind::Line,
        states: Vec::new(),
        reference_lines: vec![(0.0, "zero".to_owned())],
        x_label: None,
        variant: None,
    };
    let points = [(0.0, 10_000.0), (4.0, 10_000.0), (5.0, -10_000.0), (10.0, -10_000.0)];
    let outcomes =
        vec![outcome("unsafe", 1, &[], Vec::new(), vec![series("balance", &points)], "")];
    (spec, outcomes)
}

/// The `points` of each polyline in `color`, as pixel pairs.
fn svg_polylines(svg: &str, color: &str) -> Vec<Vec<(f64, f64)>> {
    svg.split("<polyline")
        .skip(1)
        .filter_map(|rest| rest.split("/>").next())
        .filter(|element| element.contains(&format!("stroke=\"{color}\"")))
        .map(|element| {
            let start = element.find(" points=\"").unwrap() + " points=\"".len();
            let points = element[start..].split('"').next().unwrap();
            points
                .split_whitespace()
                .map(|pair| {
                    let (x, y) = pair.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect()
}

#[test]
fn a_line_below_zero_is_drawn_below_the_reference_line() {
    let (spec, outcomes) = balance_report_parts();
    let fixture = Fixture::new();
    let mut report = fixture.report();
    report.outcomes = &outcomes;
    report.faults = &[];
    let svg = chart_svg(&report, &spec).unwrap();
    assert!(svg.contains(&svg_text("zero")), "no reference line label");
    assert!(svg.contains(&svg_text("-10000")), "no negative tick: the y range stops at zero");

    // The reference line: dashes in the failed colour, all at one height.
    let dashes = svg_polylines(&svg, &OUTCOME_FAILED.hex());
    assert!(!dashes.is_empty(), "no reference line");
    let zero_y = dashes[0][0].1;
    assert!(dashes.iter().flatten().all(|&(_, y)| y == zero_y), "{dashes:?}");
    // The balance: above the line at first, below it at the end (SVG y grows downwards).
    let balance = svg_polylines(&svg, &variant_color(0).hex());
    let line = balance.iter().find(|line| line.len() == 4).expect("no balance line");
    assert!(line[0].1 < zero_y && line[3].1 > zero_y, "{line:?} vs zero at {zero_y}");
    assert!(chart_png(&report, &spec).is_ok());
}

#[test]
fn charts_without_negative_values_or_reference_lines_still_start_at_zero() {
    let fixture = Fixture::new();
    let svg = chart_svg(&fixture.report(), &fixture.charts[0]).unwrap();
    assert!(!svg.contains(&OUTCOME_FAILED.hex()), "a reference line nobody asked for");
    assert!(svg.contains(&svg_text("0")));
    assert!(!svg.contains(&svg_text("-1")) && !svg.contains(&svg_text("-2")));
}

/// Three nodes, two transfers and one account: T1 and T2 both read X = 10000 from the bank,
/// both pass the check, both debit. Around the story, messages before and after the window,
/// a timer, and a partition that loses one message.
struct Transfers {
    trace: Vec<TraceRecord>,
    names: Vec<String>,
}

const CAPTION: &str =
    "T1 and T2 both read 10000 at X, both passed the check, both debited: X = -10000";
/// The story's messages, delivered in the window: the reads, the replies, the debits.
const INTERLEAVED: [u64; 6] = [10, 11, 12, 13, 14, 15];

impl Transfers {
    fn new() -> Transfers {
        let (t1, t2, bank) = (NodeId(0), NodeId(1), NodeId(2));
        let mut trace = Vec::new();
        let mut message = |sent_ms, from, to, msg_id, msg: &str, arrived_ms, lost| {
            let msg = msg.to_owned();
            let at = SimTime::from_millis(sent_ms);
            let send = TraceEvent::Send { from, to, msg_id, msg: msg.clone() };
            trace.push(TraceRecord { at, hash: 0, event: send, subject: None });
            let event = if lost {
                TraceEvent::Drop { from, to, msg_id, msg, reason: DropReason::Partition }
            } else {
                TraceEvent::Deliver { from, to, msg_id, msg }
            };
            trace.push(TraceRecord {
                at: SimTime::from_millis(arrived_ms),
                hash: 0,
                event,
                subject: None,
            });
        };
        message(0, t1, bank, 1, "Hello { before: true }", 1, false);
        message(2, t1, bank, 10, "Read { account: \"X\", txn: 1 }", 5, false);
        message(3, t2, bank, 11, "Read { account: \"X\", txn: 2 }", 6, false);
        message(5, bank, t1, 12, "ReadOk { balance_cents: 1000000, txn: 1 }", 9, false);
        message(6, bank, t2, 13, "ReadOk { balance_cents: 1000000, txn: 2 }", 8, false);
        message(
            9,
            t1,
            bank,
            14,
            "Debit { account: \"X\", amount_cents: 1000000, txn: 1 }",
            13,
            false,
        );
        message(
            10,
            t2,
            bank,
            15,
            "Debit { account: \"X\", amount_cents: 1000000, txn: 2 }",
            12,
            false,
        );
        message(12, bank, t2, 16, "DebitOk { balance_cents: 0, txn: 2 }", 15, false);
        message(13, bank, t1, 17, "DebitOk { balance_cents: -1000000, txn: 1 }", 17, false);
        message(15, bank, t2, 18, "Audit { balance_cents: -1000000 }", 17, true);
        message(25, t2, bank, 30, "Hello { after: true }", 27, false);
        let at = SimTime::from_millis;
        let fault = "partition {T2} | {bank}".to_owned();
        trace.extend([
            TraceRecord {
                at: at(11),
                hash: 0,
                event: TraceEvent::Timer { node: t1, timer: "Timeout { txn: 1 }".to_owned() },
                subject: None,
            },
            TraceRecord {
                at: at(14),
                hash: 0,
                event: TraceEvent::FaultBegin { index: 0, description: fault.clone() },
                subject: None,
            },
            TraceRecord {
                at: at(19),
                hash: 0,
                event: TraceEvent::FaultEnd { index: 0, description: fault },
                subject: None,
            },
        ]);
        // A trace is in time order; the stable sort keeps each send before its delivery.
        trace.sort_by_key(|record| record.at);
        let names = ["T1", "T2", "bank"].map(String::from).to_vec();
        Transfers { trace, names }
    }

    fn diagram(&self) -> Spacetime<'_> {
        Spacetime {
            title: "Two transfers from X, step by step",
            caption: CAPTION,
            trace: &self.trace,
            names: &self.names,
            from: SimTime::from_millis(2),
            until: SimTime::from_millis(20),
            highlight: &INTERLEAVED,
            node: None,
        }
    }
}

/// The arrowheads of an SVG in `color`: filled polygons (the key shows one of each kind).
fn svg_arrowheads(svg: &str, color: &str) -> usize {
    let fill = format!("fill=\"{color}\"");
    svg.split("<polygon")
        .skip(1)
        .filter(|rest| rest.split("/>").next().unwrap().contains(&fill))
        .count()
}

#[test]
fn a_spacetime_diagram_names_the_nodes_and_tells_the_story() {
    let transfers = Transfers::new();
    let svg = spacetime_svg(&transfers.diagram()).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    for text in ["T1", "T2", "bank", CAPTION, "Two transfers from X, step by step"] {
        assert!(svg.contains(&svg_text(text)), "no {text:?} in the diagram");
    }
    assert!(svg.contains(&svg_text("partition {T2} | {bank} begins")), "no fault line");
    assert!(svg.contains(&svg_text("Timeout { txn: 1 }")), "no timer");
    assert!(svg.contains("Audit { balance_cents: -1000000 } · lost (partition)"), "no drop");
    assert!(svg.contains(&OUTCOME_FAILED.hex()), "nothing highlighted");

    // One arrowhead per message delivered in the window, plus one per colour in the key.
    assert_eq!(svg_arrowheads(&svg, &OUTCOME_FAILED.hex()), INTERLEAVED.len() + 1);
    assert_eq!(svg_arrowheads(&svg, "#707070"), 2 + 1, "messages 16 and 17");
    assert!(!svg.contains("Hello {"), "a message outside the window is drawn");
}

#[test]
fn a_spacetime_png_decodes_and_both_formats_render_identically_twice() {
    let transfers = Transfers::new();
    let diagram = transfers.diagram();
    let png_bytes = spacetime_png(&diagram).unwrap();
    assert!(png_bytes == spacetime_png(&diagram).unwrap(), "two PNG renderings differ");
    assert!(spacetime_svg(&diagram).unwrap() == spacetime_svg(&diagram).unwrap());
    let mut reader = png::Decoder::new(Cursor::new(png_bytes)).read_info().unwrap();
    let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut rgb).unwrap();
    assert_eq!((info.width, info.height), (SPACETIME_WIDTH_PX, SPACETIME_HEIGHT_PX));
    let pink = [OUTCOME_FAILED.0, OUTCOME_FAILED.1, OUTCOME_FAILED.2];
    assert!(rgb.chunks(3).any(|pixel| pixel == pink), "no highlighted pixel");
}

#[test]
fn a_spacetime_diagram_survives_empty_odd_and_crowded_windows() {
    let transfers = Transfers::new();
    let mut diagram = transfers.diagram();
    // Nothing happens between 100 and 200 ms; an inverted window; no trace at all.
    diagram.from = SimTime::from_millis(100);
    diagram.until = SimTime::from_millis(200);
    let svg = spacetime_svg(&diagram).unwrap();
    assert!(svg.contains("Nothing happened between 100 ms and 200 ms."), "{svg}");
    assert!(!svg.contains(&svg_text("T1")));
    spacetime_png(&diagram).unwrap();
    diagram.from = SimTime::from_millis(20);
    diagram.until = SimTime::from_millis(2);
    spacetime_png(&diagram).unwrap();
    diagram.trace = &[];
    spacetime_svg(&diagram).unwrap();

    // A node without a name, a message to itself, one instant, a long caption.
    let (known, unknown) = (NodeId(0), NodeId(7));
    let at = SimTime::from_millis(5);
    let msg = "x".repeat(300);
    let odd = [
        TraceRecord {
            at,
            hash: 0,
            event: TraceEvent::Send { from: known, to: unknown, msg_id: 1, msg: msg.clone() },
            subject: None,
        },
        TraceRecord {
            at,
            hash: 0,
            event: TraceEvent::Deliver { from: known, to: unknown, msg_id: 1, msg: msg.clone() },
            subject: None,
        },
        TraceRecord {
            at,
            hash: 0,
            event: TraceEvent::Send { from: unknown, to: unknown, msg_id: 2, msg: msg.clone() },
            subject: None,
        },
        TraceRecord {
            at,
            hash: 0,
            event: TraceEvent::Buffer { from: unknown, to: unknown, msg_id: 2, msg },
            subject: None,
        },
    ];
    let caption = "a sentence that goes on and on ".repeat(20);
    let odd_diagram =
        Spacetime { trace: &odd, from: at, until: at, caption: &caption, ..transfers.diagram() };
    let svg = spacetime_svg(&odd_diagram).unwrap();
    assert!(svg.contains(&svg_text("node7")), "an unnamed node is not named by its id");
    spacetime_png(&odd_diagram).unwrap();

    // Thousands of messages between the three nodes: drawn up to a cap, and said so.
    let crowd: Vec<TraceRecord> = (0..3_000u64)
        .flat_map(|id| {
            let (from, to) = (NodeId((id % 3) as u32), NodeId(((id + 1) % 3) as u32));
            let msg = format!("Ping {{ n: {id} }}");
            let sent = SimTime::from_nanos(id * 10_000);
            let delivered = SimTime::from_nanos(id * 10_000 + 500_000);
            [
                TraceRecord {
                    at: sent,
                    hash: 0,
                    event: TraceEvent::Send { from, to, msg_id: id, msg: msg.clone() },
                    subject: None,
                },
                TraceRecord {
                    at: delivered,
                    hash: 0,
                    event: TraceEvent::Deliver { from, to, msg_id: id, msg },
                    subject: None,
                },
            ]
        })
        .collect();
    let crowded = Spacetime {
        trace: &crowd,
        from: SimTime::ZERO,
        until: SimTime::from_millis(40),
        highlight: &[2_999],
        ..transfers.diagram()
    };
    let svg = spacetime_svg(&crowded).unwrap();
    assert!(svg.contains("more messages not drawn"), "the cap is silent");
    spacetime_png(&crowded).unwrap();
}

#[test]
fn the_report_folder_tells_the_first_failing_run_after_the_verdicts() {
    let fixture = Fixture::new();
    let transfers = Transfers::new();
    let mut report = fixture.report();
    report.spacetime = Some(transfers.diagram());
    let files = render_folder(&report).unwrap();
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names[..5],
        ["summary.json", "summary.md", "index.html", "spacetime.svg", "spacetime.png"]
    );
    assert!(files == render_folder(&report).unwrap(), "two renderings differ");

    let html = String::from_utf8(files[2].1.clone()).unwrap();
    let verdicts_at = html.find("<h2 id=\"verdicts\">Verdicts</h2>").unwrap();
    let story_at =
        html.find("<h2 id=\"story\">The first failing run, step by step</h2>").expect("no story");
    let charts_at = html.find("<h2 id=\"charts\">Charts</h2>").unwrap();
    assert!(verdicts_at < story_at && story_at < charts_at);
    assert!(html.contains(&format!("<figcaption>{CAPTION}</figcaption>")));
    assert_eq!(html.matches("<svg").count(), fixture.charts.len() + 1);
    assert_eq!(html, index_html(&report).unwrap());
    // On the page, each message is a step with a tooltip, in the order they were sent; the
    // diagram's own file is the plain picture.
    let steps: Vec<&str> = html
        .match_indices("<path class=\"step\" data-step=\"")
        .map(|(at, _)| {
            let title = &html[at..];
            let start = title.find("<title>").unwrap() + "<title>".len();
            &title[start..start + title[start..].find("</title>").unwrap()]
        })
        .collect();
    assert!(steps.len() >= 4, "{steps:?}");
    assert!(steps.iter().all(|s| s.contains(" → ") && s.contains(", sent at ")), "{steps:?}");
    let sent_ms = |step: &str| -> f64 {
        let rest = &step[step.find(", sent at ").unwrap() + ", sent at ".len()..];
        rest[..rest.find(" ms").unwrap()].parse().unwrap()
    };
    assert!(steps.windows(2).all(|pair| sent_ms(pair[0]) <= sent_ms(pair[1])), "{steps:?}");
    assert!(html.contains("data-step-next") && html.contains("data-step-previous"));
    let file = String::from_utf8(files[3].1.clone()).unwrap();
    assert!(!file.contains("class=\"step\""));

    let md = String::from_utf8(files[1].1.clone()).unwrap();
    let section = "## The first failing run, step by step\n\n";
    let embedded =
        format!("{section}{CAPTION}\n\n![Two transfers from X, step by step](spacetime.svg)\n");
    assert!(md.contains(&embedded), "{md}");

    // A chart may not take the diagram's file name.
    let mut charts = fixture.charts.clone();
    charts[0].id = "spacetime".to_owned();
    report.charts = &charts;
    let err = render_folder(&report).unwrap_err();
    assert!(err.to_string().contains("spacetime"), "{err}");
}

/// A trade-off chart: one dot per variant, two of them on the same spot.
fn tradeoff_parts() -> (ChartSpec, Vec<Outcome>) {
    let spec = ChartSpec {
        id: "tradeoff".to_owned(),
        title: "Latency against anomalies".to_owned(),
        y_label: "latency (ms)".to_owned(),
        kind: ChartKind::Points,
        states: Vec::new(),
        reference_lines: Vec::new(),
        x_label: Some("runs with an anomaly (%)".to_owned()),
        variant: None,
    };
    let dot = |variant: &str, at: (f64, f64)| {
        outcome(variant, 1, &[], Vec::new(), vec![series("tradeoff", &[at])], "")
    };
    let outcomes = vec![
        dot("eventual", (74.0, 228.0)),
        dot("compensated", (74.0, 228.0)),
        dot("saga", (0.0, 266.0)),
    ];
    (spec, outcomes)
}

#[test]
fn a_trade_off_names_each_dot_and_dots_on_one_spot_together() {
    let (spec, outcomes) = tradeoff_parts();
    let fixture = Fixture::new();
    let report =
        Report { charts: std::slice::from_ref(&spec), outcomes: &outcomes, ..fixture.report() };
    let svg = chart_svg(&report, &spec).unwrap();
    assert!(svg.contains(&svg_text("eventual = compensated")), "coinciding dots named together");
    assert!(svg.contains(&svg_text("saga")), "a lone dot is named");
}

#[test]
fn two_variants_with_the_same_line_both_stay_visible_and_the_legend_says_so() {
    let fixture = Fixture::new();
    let same = [(0.0, 0.0), (2.0, 4.0), (4.0, 6.0), (10.0, 9.0)];
    let outcomes: Vec<Outcome> = ["first", "second"]
        .iter()
        .map(|v| outcome(v, 1, &[], Vec::new(), vec![series("delivered", &same)], ""))
        .collect();
    let report = Report { outcomes: &outcomes, ..fixture.report() };
    let svg = chart_svg(&report, &fixture.charts[0]).unwrap();
    // The first is drawn wider, as a rim around the second on top of it.
    let width = |color: String| {
        let element = svg
            .split("<polyline")
            .skip(1)
            .find(|e| e.contains(&format!("stroke=\"{color}\"")) && e.contains("points"))
            .unwrap_or_else(|| panic!("no line in {color}"));
        let start = element.find("stroke-width=\"").unwrap() + "stroke-width=\"".len();
        element[start..].split('"').next().unwrap().parse::<f64>().unwrap()
    };
    assert!(width(variant_color(0).hex()) > width(variant_color(1).hex()), "{svg}");
    assert!(svg.contains(&svg_text("second (= first)")), "the legend tells them apart");
}

#[test]
fn a_chart_over_a_parameter_is_also_a_table_in_the_terminal_and_summary_md() {
    let spec = ChartSpec {
        x_label: Some("contending clients".to_owned()),
        ..ChartSpec::line(ChartId("contention-calls"), "Write attempts", "attempts")
    };
    let outcomes: Vec<Outcome> = [("no-backoff", 255.0), ("full-jitter", 151.0)]
        .iter()
        .map(|&(v, at_32)| {
            let points = [(2.0, 3.0), (32.0, at_32)];
            outcome(v, 1, &[], Vec::new(), vec![series("contention-calls", &points)], "")
        })
        .collect();
    let fixture = Fixture::new();
    let charts = [spec];
    let report = Report { charts: &charts, outcomes: &outcomes, ..fixture.report() };
    let table = terminal_table(&report, TraceColumns::Hidden);
    assert!(table.contains("contending clients  2   32"), "{table}");
    assert!(table.contains("no-backoff          3  255"), "{table}");
    let md = summary_md(&report);
    assert!(md.contains("Write attempts (attempts)"), "{md}");
    assert!(md.contains("| variant ↓ · contending clients → | 2 | 32 |"), "{md}");
    assert!(md.contains("| `full-jitter` | 3 | 151 |"), "{md}");
}

#[test]
fn a_chart_where_nothing_moves_is_not_informative_but_a_trade_off_on_one_line_is() {
    let flat = ChartSpec::line(ChartId("queue"), "Queue", "calls");
    let zero = |v: &str| {
        outcome(v, 1, &[], Vec::new(), vec![series("queue", &[(0.0, 0.0), (9.0, 0.0)])], "")
    };
    assert!(!informative(&flat, &[zero("a"), zero("b")]));
    let moving =
        outcome("c", 1, &[], Vec::new(), vec![series("queue", &[(0.0, 0.0), (9.0, 3.0)])], "");
    assert!(informative(&flat, &[zero("a"), moving]));
    // Gaps (nothing measured) are no movement: logins at 100% whenever there were any.
    let gaps = [(0.0, 1.0), (5.0, f64::NAN), (9.0, 1.0)];
    let gappy = outcome("d", 1, &[], Vec::new(), vec![series("queue", &gaps)], "");
    assert!(!informative(&flat, &[gappy]));
    // Every availability 1, but the anomalies differ: the dots' places are the point.
    let (tradeoff, dots) = tradeoff_parts();
    let same_y: Vec<Outcome> = dots
        .into_iter()
        .zip([0.0, 50.0, 90.0])
        .map(|(o, x)| {
            outcome(&o.variant, 1, &[], Vec::new(), vec![series("tradeoff", &[(x, 1.0)])], "")
        })
        .collect();
    assert!(informative(&tradeoff, &same_y));
}

#[test]
fn a_line_under_later_lines_has_a_rim_that_goes_when_they_do() {
    let fixture = Resilience::new();
    let html = index_html(&fixture.report()).unwrap();
    let figure = chart_figure(&html, "latency");
    let group = |variant: &str| {
        let start = figure.find(&format!("<g data-variant=\"{variant}\">")).unwrap();
        let end =
            figure[start + 1..].find("<g data-variant=").map_or(figure.len(), |k| start + 1 + k);
        &figure[start..end]
    };
    // Every variant's p50 is the same line: retry's lies under breaker's and breaker-stuck's,
    // so its rim shows while either of those does, two steps wide; breaker's, one step.
    let rim = |coverers: &str, width: u32| {
        format!(
            "<g data-variants=\"[{coverers}]\"><polyline fill=\"none\" stroke=\"#0072B2\" stroke-width=\"{width}\""
        )
    };
    assert!(group("retry").contains(&rim("&quot;breaker&quot;,&quot;breaker-stuck&quot;", 6)));
    assert!(group("breaker").contains("<g data-variants=\"[&quot;breaker-stuck&quot;]\">"));
    assert!(!group("breaker-stuck").contains("data-variants"), "nothing covers the last line");
    // Under the rim, the line itself is drawn plain, so a variant shown alone is one thin line.
    assert!(group("retry").contains("stroke=\"#0072B2\" stroke-width=\"2\""));
}

#[test]
fn a_bin_where_nothing_was_measured_is_a_gap_in_the_line_not_a_value() {
    // A p99 latency per second: nothing completed from 3 s to 5 s (NaN), and at 7 s one
    // second had data between two without.
    let spec = balance_report_parts().0;
    let nan = f64::NAN;
    let points =
        [(0.0, 5.0), (1.0, 6.0), (2.0, 5.0), (3.0, nan), (4.0, nan), (5.0, 9.0), (6.0, 8.0)];
    let lone = [(6.5, nan), (7.0, 7.0), (8.0, nan)];
    let all: Vec<(f64, f64)> = points.iter().chain(&lone).copied().collect();
    let outcomes = vec![outcome("p99", 1, &[], Vec::new(), vec![series("balance", &all)], "")];
    let fixture = Fixture::new();
    let report = Report { outcomes: &outcomes, faults: &[], ..fixture.report() };
    let svg = chart_svg(&report, &spec).unwrap();
    let mut lines = svg_polylines(&svg, &variant_color(0).hex());
    // The first line's points are 0 s, 1 s, 2 s: pixels per second from them.
    let (zero_px, per_s_px) = (lines[0][0].0, lines[0][1].0 - lines[0][0].0);
    let px = |at_s: f64| zero_px + per_s_px * at_s;
    let run_end_px = px(10.0);
    lines.retain(|line| line.iter().all(|&(x, _)| x <= run_end_px)); // not the legend's
    // Two stretches, each ending where the data does: no segment spans the gap.
    let lengths: Vec<usize> = lines.iter().map(Vec::len).collect();
    assert_eq!(lengths, [3, 2], "{lines:?}");
    // The second at 7 s, alone between gaps, is a dot rather than nothing.
    let dots: Vec<f64> = svg
        .split("<circle cx=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect();
    // Within a few pixels: the ticks' pixels are rounded.
    assert!(dots.iter().any(|&x| (x - px(7.0)).abs() < 8.0), "no dot at 7 s: {dots:?}");
    assert!(!svg.contains("NaN"), "a gap drawn as a value");
}
