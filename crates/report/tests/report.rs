//! The report crate through its public API, on a small synthetic run: two variants, one
//! fault window, a violation, a NaN metric, a line chart, a dot chart and a short trace.
//! Text outputs are pinned as insta snapshots under `tests/snapshots/`.

use std::collections::BTreeMap;
use std::io::Cursor;

use faultline_engine::{
    ChartKind, ChartSpec, DropReason, FaultWindow, NodeId, Outcome, Series, SimTime, TraceEvent,
    TraceRecord, Violation,
};
use faultline_report::{
    CHART_HEIGHT_PX, CHART_WIDTH_PX, Report, chart_png, chart_svg, index_html, perfetto_json,
    render_folder, run_json, summary_json, summary_md, terminal_table, trace_jsonl,
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
            },
            ChartSpec {
                id: "latency".to_owned(),
                title: "Per-message latency: retried messages arrive seconds late".to_owned(),
                y_label: "latency (ms)".to_owned(),
                kind: ChartKind::Points,
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
                    },
                    Violation {
                        invariant: "every-message-delivered".to_owned(),
                        at: SimTime::from_millis(10_000),
                        node: "bob".to_owned(),
                        detail: "message 6 from alice never arrived".to_owned(),
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
            headline_metrics: &[],
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
    Series { chart: chart.to_owned(), points: points.to_vec() }
}

/// alice sends two messages to bob: the first arrives (twice: the network duplicated it),
/// the second is lost to the partition; bob's timer fires.
fn trace() -> (Vec<TraceRecord>, Vec<String>) {
    let (alice, bob) = (NodeId(0), NodeId(1));
    let record = |at_ms, hash, event| TraceRecord { at: SimTime::from_millis(at_ms), hash, event };
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
    insta::assert_snapshot!("terminal_table", terminal_table(&fixture.report()));
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
    assert!(!html.contains("<script"), "a script got through");
    assert_eq!(html.matches("<svg").count(), fixture.charts.len());
    assert!(html.contains("message 5 from alice never arrived"), "violation detail missing");
    assert!(html.contains(&fixture.outcomes[1].verdict), "verdict missing");
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
    let json: Value = serde_json::from_str(&perfetto_json(&records, &names)).unwrap();
    assert_eq!(json["displayTimeUnit"], "ms");
    let events = json["traceEvents"].as_array().unwrap();
    let with = |ph: &str| -> Vec<&Value> { events.iter().filter(|e| e["ph"] == ph).collect() };

    let process_names: BTreeMap<u64, &str> = with("M")
        .iter()
        .map(|e| (e["pid"].as_u64().unwrap(), e["args"]["name"].as_str().unwrap()))
        .collect();
    assert_eq!(process_names, BTreeMap::from([(1, "alice"), (2, "bob")]));

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

    let faults = with("i");
    assert_eq!(faults.len(), 2);
    assert!(faults.iter().all(|e| e["s"] == "g"));
}

#[test]
fn the_terminal_table_shows_the_headline_metrics_in_their_order() {
    let fixture = Fixture::new();
    let mut report = fixture.report();
    let names: Vec<&str> = fixture.outcomes[0].metrics.keys().map(String::as_str).collect();
    let headline = [names[1], names[0]];
    report.headline_metrics = &headline;
    let table = terminal_table(&report);
    let header = table.lines().next().unwrap();
    let (first, second) = (header.find(names[1]).unwrap(), header.find(names[0]).unwrap());
    assert!(first < second, "{header}");
    assert!(!names[2..].iter().any(|name| header.contains(name)), "{header}");
}
